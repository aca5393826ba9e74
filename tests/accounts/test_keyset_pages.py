"""Issue 17, keyset links (accounts.lists): which sorts a cursor can follow, what a cursor accepts,
and a list read from a cursor giving the rows the page numbers give, whatever the sort."""

from __future__ import annotations

import datetime

import pytest

from accounts.lists import DeferredJoinData, PageCursor, keyset_fields
from billing.models import Document
from orders.models import Order
from tests.orders.test_list_pages_at_scale import bulk

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]  # row comparisons are written out on SQLite


def names(fields) -> list[str] | None:
    return None if fields is None else [field.name for field in fields]


def test_the_sorts_a_keyset_follows():
    assert names(keyset_fields(Order, ("-created_at", "-pk"))) == ["created_at", "id"]
    assert names(keyset_fields(Document, ("-issue_date", "-display_number", "-id"))) == [
        "issue_date",
        "display_number",
        "id",
    ]
    assert keyset_fields(Order, ("created_at", "-pk")) is None  # two directions
    assert keyset_fields(Order, ("organisation__name", "pk")) is None  # a join
    assert keyset_fields(Order, ("organisation", "pk")) is None  # a relation: its model's ordering
    assert keyset_fields(Document, ("due_date", "pk")) is None  # NULLs sort apart on each database
    assert keyset_fields(Order, ("sorted_annotation", "pk")) is None  # not a column
    assert keyset_fields(Order, ("sans", "pk")) is None  # JSON
    assert keyset_fields(Order, ()) is None


def test_a_cursor_round_trip_and_its_refusals():
    ordering = ("-created_at", "-pk")
    fields = keyset_fields(Order, ordering)
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=datetime.UTC)
    cursor = PageCursor(ordering, 25, 50, (moment, 7), (moment, 3))
    assert PageCursor.parse(cursor.token(), fields, ordering) == cursor  # microseconds kept
    assert PageCursor.parse(cursor.token(), fields, ("created_at", "pk")) is None  # another sort
    for bad in (
        PageCursor(ordering, 50, 25, (moment, 7), (moment, 3)),  # empty page
        PageCursor(ordering, -1, 25, (moment, 7), (moment, 3)),
        PageCursor(ordering, 0, 25, ("not a date", 7), (moment, 3)),
        PageCursor(ordering, 0, 25, (moment, "x"), (moment, 3)),
        PageCursor(ordering, 0, 25, (moment,), (moment, 3)),
        PageCursor(ordering, 0, 25, (None, 7), (moment, 3)),
    ):
        assert PageCursor.parse(bad.token(), fields, ordering) is None, bad
    for junk in ("", "!!!", "e30", "bnVsbA", "W10"):
        assert PageCursor.parse(junk, fields, ordering) is None


@pytest.mark.parametrize(
    ("ordering", "keyset"),
    [
        (("-created_at", "-pk"), True),
        (("customer_reference", "pk"), True),  # ties on the first key
        (("organisation__name", "-common_name", "pk"), False),  # by number
    ],
)
def test_pages_from_a_cursor_are_the_pages_by_number(account, product, ordering, keyset):
    bulk(account, product, 130)
    rows = Order.objects.filter(account=account).order_by(*ordering)
    expected = list(rows.values_list("pk", flat=True))

    def read(start: int, stop: int, cursor: str = "") -> tuple[list[int], str]:
        data = DeferredJoinData(rows, count=lambda: len(expected))
        data.cursor = cursor
        page = data[start:stop]
        return [order.pk for order in page], page.link_cursor()

    ids, cursor = read(50, 75)
    assert ids == expected[50:75]
    assert bool(cursor) is keyset
    for start in (75, 100, 125, 25, 0, 50):  # after, further on, the end, before, the start, itself
        assert read(start, min(start + 25, 130), cursor)[0] == expected[start : start + 25], start
