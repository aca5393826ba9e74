"""What the Content-Security-Policy of issue 13 point 7 expects of a response and of its HTML."""

from __future__ import annotations

import re

from django.http import HttpResponseBase

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
# An on*= attribute inside a tag: onclick=, onchange=, onload=...
HANDLER = re.compile(r"<[a-z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def inline_code(html: str, *, styles: bool = True) -> list[str]:
    """Everything in `html` a `script-src 'self'` (and `style-src 'self'`) policy refuses."""
    found = []
    for attributes, body in SCRIPT.findall(html):
        if re.search(r"\bsrc\s*=", attributes):
            if body.strip():
                found.append(f"script with src and a body: {body.strip()[:60]}")
        elif not re.search(r"""type\s*=\s*["']application/json["']""", attributes):
            found.append(f"inline script: {body.strip()[:60]}")
    found += [f"handler {name}=" for name in HANDLER.findall(html)]
    found += [f"javascript: URL {m.group(0)}" for m in JAVASCRIPT_URL.finditer(html)]
    if styles:
        found += [f"inline style {m.group(0).strip()}" for m in STYLE.finditer(html)]
    return found


def header_problems(response: HttpResponseBase) -> list[str]:
    """The three headers every response carries, with the directives the policy needs."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    expected = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "img-src": ["'self'", "data:"],
    }
    for directive, sources in expected.items():
        if directives.get(directive) != sources:
            problems.append(f"CSP {directive} is {directives.get(directive)}")
    if directives.get("form-action", [])[:1] != ["'self'"]:
        problems.append(f"CSP form-action is {directives.get('form-action')}")
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append("CSP allows unsafe-inline or unsafe-eval")
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        if feature not in permissions:
            problems.append(f"Permissions-Policy lacks {feature}")
    if "publickey-credentials-get=(self)" not in permissions:
        problems.append("Permissions-Policy refuses WebAuthn")
    if response.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append(f"Cross-Origin-Opener-Policy is {response.get('Cross-Origin-Opener-Policy')}")
    return problems
