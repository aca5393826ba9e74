"""Issue 17, deep pages and cached figures: a page in the second half of the order list is read
from the end in the reversed order, the list's count and the menu badges come from the account's
cache. What a user sees must not change: every order once, in the order asked for, on every page;
a count that follows the writes at once; nothing of another account."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Right
from orders.models import Order, OrderStatus
from tests.factories import make_user
from tests.support.orders import contacts_of
from tests.support.paging import next_link, page_link, previous_link

pytestmark = pytest.mark.django_db

S = OrderStatus
COUNT = 60  # three pages of 25: page 3 is read from the end
STATUSES = [S.DELIVERED_PAID, S.AWAITING_PAYMENT, S.AWAITING_APPROVAL, S.CANCELLED]


def bulk(account, product, count: int, prefix: str = "host") -> list[Order]:
    holder, admin, tech = contacts_of(account)
    now = timezone.now()
    return Order.objects.bulk_create(
        Order(
            account=account,
            product=product,
            period_months=12,
            price_excl_vat=Decimal("120.00"),
            status=STATUSES[i % len(STATUSES)],  # many ties on the status column
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name=f"{prefix}{i:03d}.acme.test",
            customer_reference=f"PO-{i % 7}",  # ties too
            created_at=now - timedelta(hours=i // 2),  # two orders per instant
        )
        for i in range(count)
    )


def references(client, query: str) -> list[str]:
    response = client.get(f"/orders/?{query}")
    assert response.status_code == 200
    return [row.record.reference for row in response.context["table"].page.object_list]


@pytest.mark.parametrize("sort", ["", "-created_at", "created_at", "status", "-status", "customer_reference"])
def test_every_order_once_across_the_pages_in_every_sort(client, tech, account, product, sort):
    bulk(account, product, COUNT)
    client.force_login(tech)
    pages = [references(client, f"sort={sort}&page={page}") for page in (1, 2, 3)]
    seen = [reference for page in pages for reference in page]
    assert [len(page) for page in pages] == [25, 25, 10]
    assert len(set(seen)) == COUNT == len(seen)
    # The pages follow each other in the sort asked for (page 3, read from the end, included).
    key = sort.lstrip("-") or "created_at"
    rows = {o.reference: getattr(o, key) for o in Order.objects.filter(account=account)}
    values = [rows[reference] for reference in seen]
    assert values == sorted(values, reverse=sort.startswith("-") or not sort)


def test_out_of_range_and_garbage_pages(client, tech, account, product):
    bulk(account, product, COUNT)
    client.force_login(tech)
    last = references(client, "page=3")
    assert references(client, "page=999") == last
    first = references(client, "page=1")
    assert references(client, "page=abc") == first
    assert references(client, "page=-4") == first
    assert references(client, "page=0&per_page=junk") == first


def test_the_count_follows_a_new_order_at_once(client, tech, account, product):
    bulk(account, product, 5)
    client.force_login(tech)
    assert client.get("/orders/").context["table"].paginator.count == 5
    bulk(account, product, 1, prefix="new")
    Order.objects.filter(account=account, common_name="new000.acme.test").get().save()  # as the services do
    assert client.get("/orders/").context["table"].paginator.count == 6


def test_each_search_has_its_own_count(client, tech, account, product):
    bulk(account, product, 12)
    client.force_login(tech)
    assert client.get("/orders/?field=names&q=host00").context["table"].paginator.count == 10
    assert client.get("/orders/?field=names&q=host01").context["table"].paginator.count == 2
    assert client.get("/orders/?field=names&q=host00&page=2").context["table"].paginator.count == 10


def test_another_accounts_orders_never_count(client, account, other_account, product):
    approver = make_user(account, "approver", rights=[Right.APPROVAL, Right.TECHNICAL])
    bulk(account, product, 4)  # one awaiting approval
    client.force_login(approver)
    assert client.get("/home/").context["awaiting_approval"] == 1
    assert client.get("/orders/").context["table"].paginator.count == 4
    for order in bulk(other_account, product, 8):
        order.save()  # the other account's figures are dropped, not this one's
    assert client.get("/home/").context["awaiting_approval"] == 1
    assert client.get("/orders/").context["table"].paginator.count == 4


def test_pages_answer_without_the_cache(client, tech, account, product, settings):
    """With the cache unusable (Redis down: it fails open) every figure is counted on each request."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    cache.close()
    bulk(account, product, 30)
    client.force_login(tech)
    assert client.get("/home/").status_code == 200
    assert client.get("/orders/?page=2").context["table"].paginator.count == 30
    assert len(references(client, "page=2")) == 5


def walk(client, start: str, step) -> list[list[str]]:
    """The pages met from `start` by following `step` (the next or previous link) to the end."""
    response = client.get(f"/orders/?{start}")
    pages = [[row.record.reference for row in response.context["table"].page.object_list]]
    while (
        step is next_link
        and response.context["table"].page.has_next()
        or (step is previous_link and response.context["table"].page.has_previous())
    ):
        response = client.get("/orders/" + step(response))
        assert response.status_code == 200
        pages.append([row.record.reference for row in response.context["table"].page.object_list])
    return pages


@pytest.mark.parametrize("sort", ["", "created_at", "-status", "customer_reference", "product"])
def test_following_the_links_gives_the_pages_by_number(client, tech, account, product, sort):
    """Issue 17, keyset links: the next and previous links carry a cursor (the page's first and
    last rows); the pages they lead to are the pages by number, forwards and backwards."""
    bulk(account, product, 130)  # six pages: the middle ones are read from the cursor
    client.force_login(tech)
    by_number = [references(client, f"sort={sort}&page={number}") for number in range(1, 7)]
    assert walk(client, f"sort={sort}", next_link) == by_number
    assert walk(client, f"sort={sort}&page=6", previous_link) == by_number[::-1]
    page_two = client.get(f"/orders/?sort={sort}&page=2")
    assert "cursor=" in next_link(page_two)
    # A page further on in the range (two pages after the one shown) is right too.
    response = client.get("/orders/" + page_link(page_two, 4))
    assert [row.record.reference for row in response.context["table"].page.object_list] == by_number[3]


def test_a_followed_link_skips_no_rows(client, tech, account, product):
    """The page after a cursor is read from the cursor's last row: no OFFSET over the rows before."""
    bulk(account, product, 130)
    client.force_login(tech)
    link = next_link(client.get("/orders/?page=3"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/orders/" + link).context["table"].page.number == 4
    assert not [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]


@pytest.mark.parametrize(
    "cursor",
    ["junk", "eyJhIjoxfQ", "W1siLWNyZWF0ZWRfYXQiLCItcGsiXSwyNSw1MCxbIngiLDFdLFsieSIsMl1d", "W10", "%00"],
)
def test_a_bad_cursor_is_ignored(client, tech, account, product, cursor):
    """A cursor that does not parse, or names another sort or bad keys, gives the page by number."""
    bulk(account, product, 130)
    client.force_login(tech)
    expected = references(client, "page=4")
    assert references(client, f"page=4&cursor={cursor}") == expected
    assert references(client, f"page=4&sort=status&cursor={cursor}") == references(
        client, "page=4&sort=status"
    )


def test_a_cursor_never_shows_another_accounts_orders(client, account, other_account, product, tech):
    """A cursor carries sort keys, not rows: followed by a user of another account, it reads that
    user's own list from those keys on."""
    bulk(account, product, 130)
    bulk(other_account, product, 60, prefix="globex")
    client.force_login(tech)
    link = next_link(client.get("/orders/?page=2"))
    client.force_login(make_user(other_account, "globex-tech", rights=[Right.TECHNICAL]))
    response = client.get("/orders/" + link)
    assert response.status_code == 200
    shown = [row.record for row in response.context["table"].page.object_list]
    assert shown and all(order.account_id == other_account.pk for order in shown)
