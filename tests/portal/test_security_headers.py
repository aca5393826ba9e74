"""Content-Security-Policy, Permissions-Policy and Cross-Origin-Opener-Policy (issue 13 point 7).

Every response carries the three headers; no template holds code the policy would refuse (an inline
script, an on*= handler, a javascript: URL, a style attribute in a page), so the rule stays kept.
The demo crawl (tests/portal/test_demo_crawl.py) checks the headers on every page it reaches; the
browser tests fail on any violation Chromium reports (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.security_headers import csp_header, permissions_header
from tests.support.security_headers import header_problems, inline_code

ROOT = Path(settings.BASE_DIR)
# Rendered for a mail reader or WeasyPrint, never served as a page: no CSP applies to them.
NOT_PAGES = ("emails/", "/pdf/", "guide_pdf.html", "demo_leaflet.html", "demo_signed_contract.html")


def templates() -> list[Path]:
    # The project's templates and every app's (an app added later is covered too).
    folders = [
        ROOT / "templates",
        *(path for path in ROOT.glob("*/templates") if path.parent.name != "node_modules"),
    ]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def test_the_template_list_is_not_empty():
    names = {path.relative_to(ROOT).as_posix() for path in templates()}
    assert "templates/orders/order_form.html" in names
    assert "templates/accounts/register.html" in names
    assert any(name.startswith("billing/templates/") for name in names)


def test_no_template_holds_an_inline_script_or_handler():
    found = {}
    for path in templates():
        name = path.relative_to(ROOT).as_posix()
        page = not any(part in name for part in NOT_PAGES)
        problems = inline_code(path.read_text(), styles=page)
        if problems:
            found[name] = problems
    assert found == {}


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>", "inline script: alert(1)"),
        ('<script type="text/javascript">\n go();\n</script>', "inline script: go();"),
        ('<select id="x" onchange="go()">', "handler onchange="),
        ('<button\n  class="btn" onClick = "go()">', "handler onclick="),
        ('<a href="javascript:go()">', 'javascript: URL href="javascript:'),
        ('<div style="color:red">', "inline style style="),
        ("<style>p{}</style>", "inline style <style"),
    ],
)
def test_the_template_check_finds_inline_code(html, expected):
    assert [p.lower() for p in inline_code(html)] == [expected.lower()]


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/js/forms.js" defer></script>',
        '<script id="ctx" type="application/json">{"a": 1}</script>',
        '<div data-show-if="#id_x" data-show-when="empty" class="once">',
        "<p>Only one action per page.</p>",
    ],
)
def test_the_template_check_accepts_files_and_data(html):
    assert inline_code(html) == []


def test_header_values_are_built_from_settings():
    assert (
        csp_header(
            {"default-src": ["'self'"], "img-src": ["'self'", "data:"], "upgrade-insecure-requests": True}
        )
        == "default-src 'self'; img-src 'self' data:; upgrade-insecure-requests"
    )
    assert permissions_header({"camera": [], "publickey-credentials-get": ["self"]}) == (
        "camera=(), publickey-credentials-get=(self)"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/register/",
        "/does-not-exist/",
        "/static/js/forms.js",
        "/api/v1/orders/",
        "/health/",
    ],
)
def test_every_answer_carries_the_headers(client, url):
    response = client.get(url)
    assert header_problems(response) == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "publickey-credentials-create=(self)" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_a_logged_in_page_and_a_refused_one_carry_them(client, owner, outsider):
    client.force_login(owner)
    assert header_problems(client.get(reverse("home"))) == []
    client.force_login(outsider)
    response = client.post("/staff/")
    assert response.status_code in (302, 403)
    assert header_problems(response) == []


@pytest.mark.django_db
def test_the_header_check_fails_without_the_middleware(client, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "security_headers" not in m]
    problems = header_problems(client.get("/accounts/login/"))
    assert "CSP script-src is None" in problems
    assert "Permissions-Policy refuses WebAuthn" in problems


@pytest.mark.django_db
def test_pages_with_show_hide_parts_load_the_script_file(client, owner, product):
    page = client.get("/register/").content.decode()
    assert "/static/js/forms." in page and 'data-show-if="#id_tech_same_as_admin"' in page
    client.force_login(owner)
    page = client.get(reverse("operations:order", args=[product.code])).content.decode()
    assert "/static/js/forms." in page and 'data-show-when="empty"' in page
    assert inline_code(page) == []


@pytest.mark.django_db
def test_the_django_admin_pages_run_nothing_inline(client, settings, staff, account, owner):
    """The back office is the Django admin: its change pages load their JavaScript from files."""
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(staff)
    for url in (
        "/staff/",
        reverse("admin:accounts_account_changelist"),
        reverse("admin:accounts_account_change", args=[account.pk]),
        reverse("admin:accounts_user_change", args=[owner.pk]),
        reverse("admin:catalog_product_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "/static/admin/js/" in page or url == "/staff/", url
        assert inline_code(page) == [], url
        assert header_problems(response) == [], url
