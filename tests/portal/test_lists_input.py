"""`per_page` and `page` are user input on every list (issue 13, point 2): per_page is clamped to
25/50/100/250, an out-of-range page answers the last page, garbage the first page, never a 500.

The lists are found by crawling the demo as its super users (tests/support/lists.py), so a new
list is fuzzed without being named here.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory
from django_scopes import scopes_disabled

from accounts.lists import PER_PAGE_CHOICES, clamp_per_page, paginate
from accounts.models import User
from tests.portal.test_demo_crawl import demo  # noqa: F401  (module fixture: the demo data)
from tests.support.lists import ListPage, find_lists, lists_in

GARBAGE = ["-1", "0", "-99999999999999999999", "1000000", "1e9", "abc", "", " 7 ", "1.5", "0x10", "٣", "NaN"]
DEMO_SUPERUSERS = ["partner", "enterprise"]


def test_per_page_is_clamped_to_the_fixed_choices():
    assert clamp_per_page("-1") == 25
    assert clamp_per_page("0", 50) == 50
    assert clamp_per_page("abc") == 25
    assert clamp_per_page(None, 50) == 50
    assert clamp_per_page("1") == 25
    assert clamp_per_page("26") == 50
    assert clamp_per_page("100") == 100
    assert clamp_per_page("1000000") == 250


def test_page_out_of_range_is_the_last_and_garbage_the_first():
    rows = list(range(120))
    factory = RequestFactory()
    assert paginate(factory.get("/", {"page": "999"}), rows).number == 5
    assert paginate(factory.get("/", {"page": "-3"}), rows).number == 1
    assert paginate(factory.get("/", {"page": "x\x00"}), rows).number == 1
    assert paginate(factory.get("/", {"page": "2", "per_page": "50"}), rows).number == 2
    assert len(paginate(factory.get("/", {"per_page": "-1"}), rows).object_list) == 25
    assert paginate(factory.get("/", {"page": "3"}), []).number == 1


def _client(username: str) -> Client:
    client = Client()
    with scopes_disabled():
        client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture(scope="module")
def demo_lists(demo, django_db_blocker) -> dict[str, list[ListPage]]:  # noqa: F811
    with django_db_blocker.unblock():
        return {username: find_lists(_client(username)) for username in DEMO_SUPERUSERS}


@pytest.mark.django_db
def test_every_list_is_found(demo_lists):
    """The crawl is not vacuous: both kinds of list are found, tables and plain pages."""
    pages = [page for found in demo_lists.values() for page in found]
    assert sum(len(page.tables) for page in pages) >= 10
    assert sum(page.pages for page in pages) >= 2


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_SUPERUSERS)
def test_every_list_survives_garbage_page_and_per_page(demo_lists, username):
    client = _client(username)
    failures: list[tuple[str, str, object]] = []
    for page in demo_lists[username]:
        prefixes = list(page.tables) or [""]
        if page.pages:
            prefixes.append("")
        for prefix in dict.fromkeys(prefixes):
            for value in GARBAGE:
                for name in ("page", "per_page"):
                    query = urlencode({f"{prefix}{name}": value})
                    response = client.get(f"{page.url}?{query}")
                    if response.status_code != 200:
                        failures.append((page.url, query, response.status_code))
                        continue
                    tables, pages = lists_in(response)
                    for table in tables:
                        if table.paginator.per_page not in PER_PAGE_CHOICES:
                            failures.append((page.url, query, f"per_page {table.paginator.per_page}"))
                    for plain in pages:
                        if plain.paginator.per_page not in PER_PAGE_CHOICES:
                            failures.append((page.url, query, f"per_page {plain.paginator.per_page}"))
            # Far past the end: the last page.
            response = client.get(f"{page.url}?{prefix}page=999999")
            tables, pages = lists_in(response)
            for one in [t.page for t in tables if t.prefix == prefix] + (pages if not prefix else []):
                if one.number != one.paginator.num_pages:
                    failures.append((page.url, "page=999999", f"page {one.number}"))
    assert failures == []


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_SUPERUSERS)
def test_every_list_sorts_by_every_column_both_ways(demo_lists, username):
    """Issue 13 point 9: every sortable column of every list, ascending and descending. Marked
    `sqlite`: scripts/test.sh runs it on PostgreSQL and again on SQLite (the demo's database)."""
    client = _client(username)
    failures: list[tuple[str, str, int]] = []
    sorted_columns = 0
    for page in demo_lists[username]:
        for prefix, columns in page.tables.items():
            for column in columns:
                for direction in ("", "-"):
                    response = client.get(f"{page.url}?{urlencode({f'{prefix}sort': direction + column})}")
                    sorted_columns += 1
                    if response.status_code != 200:
                        failures.append((page.url, f"{prefix}sort={direction}{column}", response.status_code))
    assert failures == []
    assert sorted_columns >= 20
