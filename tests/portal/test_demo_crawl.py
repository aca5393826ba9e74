"""Every page reachable in the demo answers, and neither demo account sees the other (foundation
issue, "Done when"). A crawler logs in as each demo user and follows every link it is shown.
Marked `sqlite`: `make test` runs it on PostgreSQL and again on SQLite, the demo's own database."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import User
from tests.support.security_headers import header_problems, inline_code

HREF = re.compile(r'href="([^"#]+)"')
# Links the crawler must not follow: they change state with GET (none should) or leave the portal.
SKIP = (
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "mailto:",
    "/staff/logout/",
    "/accounts/password/reset/key/",
)
MAX_PAGES = 400

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded outside any test transaction, and flushed afterwards even when loading
    failed: demo rows left behind (published consent terms, offices...) would break every later
    test of this worker's database."""
    try:
        with django_db_blocker.unblock(), scopes_disabled():
            call_command("load_demo", verbosity=0)
        yield
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def crawl(
    client: Client, start: str, allowed_prefix=("/",), unsafe: dict[str, list[str]] | None = None
) -> dict[str, int]:
    """Status of every page reached from `start`; `unsafe` collects, per page, what breaks the
    Content-Security-Policy (issue 13 point 7): a missing header, an inline script or handler."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if unsafe is not None:
            html = "text/html" in response.get("Content-Type", "") and not response.streaming
            problems = header_problems(response) + (inline_code(response.content.decode()) if html else [])
            if problems:
                unsafe[url] = problems
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc and parts.netloc not in ("testserver",):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(SKIP) or not path.startswith(allowed_prefix):
                continue
            # Sorting and paging variants of one list: follow the first few only.
            if parts.query and sum(1 for u in seen if u.startswith(parts.path + "?")) > 3:
                continue
            if path not in seen:
                queue.append(path)
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "own_domain", "foreign_domain"),
    [
        ("partner", "partner-demo.test", "enterprise-demo.test"),
        ("partner-tech", "partner-demo.test", "enterprise-demo.test"),
        ("partner-billing", "partner-demo.test", "enterprise-demo.test"),
        ("enterprise", "enterprise-demo.test", "partner-demo.test"),
    ],
)
def test_every_linked_page_answers_and_shows_nothing_of_the_other_account(
    demo, username, own_domain, foreign_domain
):
    client = Client()
    with scopes_disabled():
        client.force_login(User.objects.get(username=username))
    unsafe: dict[str, list[str]] = {}
    pages = crawl(client, "/home/", unsafe=unsafe)
    broken = {url: code for url, code in pages.items() if code >= 400}
    assert broken == {}, broken
    assert len(pages) > 3
    assert unsafe == {}, unsafe
    for url in pages:
        if pages[url] == 200:
            response = client.get(url)  # CSV exports stream
            body = b"".join(response.streaming_content if response.streaming else [response.content])
            body = body.decode(errors="replace")
            assert foreign_domain not in body, f"{url} shows {foreign_domain}"


@pytest.mark.django_db
def test_staff_back_office_pages_answer(demo, settings):
    settings.STAFF_REQUIRE_2FA = False
    client = Client()
    with scopes_disabled():
        client.force_login(User.objects.get(username="staff"))
    unsafe: dict[str, list[str]] = {}
    pages = crawl(client, "/staff/", allowed_prefix=("/staff/",), unsafe=unsafe)
    broken = {url: code for url, code in pages.items() if code >= 400}
    assert broken == {}, broken
    assert len(pages) > 20
    # The Django admin loads its JavaScript from files too: nothing inline for the CSP to block.
    assert unsafe == {}, unsafe


@pytest.mark.django_db
def test_public_pages_answer_with_the_security_headers(demo):
    """Issue 13 point 7: the pages a visitor reaches before logging in carry the policy too."""
    unsafe: dict[str, list[str]] = {}
    pages = crawl(Client(), "/accounts/login/", unsafe=unsafe)
    assert {url: code for url, code in pages.items() if code >= 500} == {}
    assert "/register/" in pages
    assert unsafe == {}, unsafe
