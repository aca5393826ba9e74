"""Content-Security-Policy and Permissions-Policy on every response (issue 13 point 7).

Django 5.2 has no CSP of its own. The policy lives in settings as `SECURE_CSP`, a dict of
directive -> sources in the shape Django 6.0 gives its built-in `SECURE_CSP`, so that an upgrade
replaces this middleware without touching the policy. Cross-Origin-Opener-Policy comes from
Django's SecurityMiddleware (`SECURE_CROSS_ORIGIN_OPENER_POLICY`).

The policy allows scripts from 'self' only: templates hold no inline script and no on*= handler
(tests/portal/test_security_headers.py keeps it so); data reaches scripts through data-* attributes or json_script,
which the browser parses but never executes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def csp_header(policy: Mapping[str, Sequence[str] | bool]) -> str:
    """`{"default-src": ["'self'"], "upgrade-insecure-requests": True}` -> the header value."""
    parts = []
    for directive, sources in policy.items():
        if sources is True:
            parts.append(directive)
        elif sources:
            parts.append(" ".join([directive, *sources]))
    return "; ".join(parts)


def permissions_header(policy: Mapping[str, Sequence[str]]) -> str:
    """`{"camera": [], "publickey-credentials-get": ["self"]}` -> `camera=(), publickey-credentials-get=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = csp_header(settings.SECURE_CSP)
        self.permissions = permissions_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # setdefault: a view with a stricter need of its own may set its header itself.
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
