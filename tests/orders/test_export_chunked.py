"""Issue 17: the order list's CSV and XLSX exports read the list in chunks (the ids first, then the
rows CHUNK ids at a time), so their queries grow with the chunks, never with the rows; the rows
keep the list's order across chunk boundaries and only the account's orders are exported. Marked
`sqlite`: the same code runs on the demo's database (chunks within its parameter limit)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import exports
from orders.models import Order, OrderStatus
from tests.support.orders import contacts_of

pytestmark = pytest.mark.sqlite

CSV = reverse("orders:export_csv")
XLSX = reverse("orders:export_xlsx")


def bulk_orders(account, product, count: int, prefix: str = "host") -> list[Order]:
    """`count` orders a day apart (the newest first in the list), without CSR work."""
    holder, admin, tech = contacts_of(account)
    now = timezone.now()
    made = Order.objects.bulk_create(
        Order(
            account=account,
            product=product,
            period_months=12,
            price_excl_vat=120,
            status=OrderStatus.AWAITING_PAYMENT,
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name=f"{prefix}{n}.{account.pk}.test",
            reference=f"T{prefix[:2].upper()}{account.pk % 10000:04d}{n:04d}",
        )
        for n in range(count)
    )
    for n, order in enumerate(made):
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(days=n))
    return made


def csv_rows(client, params=None) -> tuple[list[list[str]], int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CSV, params or {})
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body))), len(ctx.captured_queries)


def xlsx_rows(client) -> tuple[list[tuple], int]:
    from openpyxl import load_workbook

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(XLSX)
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True)), len(ctx.captured_queries)


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_rows(client, tech, account, product):
    client.force_login(tech)
    bulk_orders(account, product, 3)
    csv_rows(client)  # the account's cached figures are computed once, outside the counts
    few, few_queries = csv_rows(client)
    _, few_xlsx = xlsx_rows(client)
    bulk_orders(account, product, 12, prefix="more")
    many, many_queries = csv_rows(client)
    _, many_xlsx = xlsx_rows(client)
    assert (len(few), len(many)) == (1 + 3, 1 + 15)
    assert many_queries == few_queries and many_xlsx == few_xlsx


@pytest.mark.django_db
def test_export_reads_one_query_per_chunk_in_the_lists_order(client, tech, account, product, monkeypatch):
    client.force_login(tech)
    made = bulk_orders(account, product, 7)
    _, whole = csv_rows(client)
    monkeypatch.setattr(exports, "CHUNK", 3)
    rows, chunked = csv_rows(client)
    # 7 rows in chunks of 3: two queries more than in one chunk.
    assert chunked == whole + 2
    # Newest first, as on screen, across the chunks' boundaries.
    assert [row[0] for row in rows[1:]] == [order.reference for order in made]
    rows, _ = csv_rows(client, {"sort": "-reference"})
    assert [row[0] for row in rows[1:]] == sorted((order.reference for order in made), reverse=True)
    sheet, _ = xlsx_rows(client)
    assert [row[0] for row in sheet[1:]] == [order.reference for order in made]


@pytest.mark.django_db
def test_export_holds_only_the_accounts_filtered_orders(client, tech, account, other_account, product):
    bulk_orders(other_account, product, 4, prefix="globex")
    mine = bulk_orders(account, product, 3)
    Order.objects.filter(pk=mine[1].pk).update(status=OrderStatus.DELIVERED_PAID, common_name="=cmd()")
    client.force_login(tech)
    rows, _ = csv_rows(client)
    assert {row[0] for row in rows[1:]} == {order.reference for order in mine}
    rows, _ = csv_rows(client, {"status": OrderStatus.DELIVERED_PAID})
    assert [row[0] for row in rows[1:]] == [mine[1].reference]
    assert "'=cmd()" in rows[1]  # never a formula in a spreadsheet


def test_chunks_stay_within_the_databases_parameter_limit(monkeypatch):
    monkeypatch.setattr(connection.features, "max_query_params", 999)
    assert exports.chunk_size() == 899
    monkeypatch.setattr(connection.features, "max_query_params", None)
    assert exports.chunk_size() == exports.CHUNK
