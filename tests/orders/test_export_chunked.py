"""Issue 17: the order list's CSV and XLSX exports read the list in chunks (the ids first, then the
rows CHUNK ids at a time), so their queries grow with the chunks, never with the rows; the rows
keep the list's order across chunk boundaries and only the account's orders are exported. Both
stream: the XLSX's first bytes leave before its first query, and it holds the CSV's rows. Marked
`sqlite`: the same code runs on the demo's database (chunks within its parameter limit)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta

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


def xlsx_rows(client, params=None) -> tuple[list[tuple], int]:
    from openpyxl import load_workbook

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(XLSX, params or {})
        assert response.status_code == 200 and response.streaming
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
    csv_rows(client)  # the filters' catalogue choices are read once and kept, outside the counts
    _, whole = csv_rows(client)
    monkeypatch.setattr(exports, "CHUNK", 3)
    rows, chunked = csv_rows(client)
    # 7 rows in chunks of 3: two queries more than in one chunk.
    assert chunked == whole + 2
    # Newest first, as on screen, across the chunks' boundaries.
    assert [row[0] for row in rows[1:]] == [order.reference for order in made]
    rows, _ = csv_rows(client, {"sort": "-reference"})
    assert [row[0] for row in rows[1:]] == sorted((order.reference for order in made), reverse=True)
    sheet, xlsx_chunked = xlsx_rows(client)
    assert [row[0] for row in sheet[1:]] == [order.reference for order in made]
    monkeypatch.setattr(exports, "CHUNK", 2000)
    _, xlsx_whole = xlsx_rows(client)
    assert xlsx_chunked == xlsx_whole + 2


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
    sheet, _ = xlsx_rows(client)
    assert {row[0] for row in sheet[1:]} == {order.reference for order in mine}
    sheet, _ = xlsx_rows(client, {"status": OrderStatus.DELIVERED_PAID})
    assert [row[0] for row in sheet[1:]] == [mine[1].reference] and "'=cmd()" in sheet[1]


def as_csv(value) -> str:
    """A cell read back from the XLSX as the CSV writes it (dates as `Y-m-d`)."""
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, datetime) else str(value)


@pytest.mark.django_db
def test_xlsx_has_the_csv_rows_with_dates_as_dates(client, tech, account, product, monkeypatch):
    tech.list_columns = {
        "orders": ["reference", "customer_reference", "common_name", "created_at", "delivered_at"]
    }
    tech.save(update_fields=["list_columns"])
    made = bulk_orders(account, product, 5)
    Order.objects.filter(pk=made[0].pk).update(customer_reference="Zürich <&> \x07東京", common_name="=cmd()")
    Order.objects.filter(pk=made[1].pk).update(delivered_at=timezone.now())
    client.force_login(tech)
    monkeypatch.setattr(exports, "CHUNK", 2)
    csv_body, _ = csv_rows(client, {"sort": "-created_at"})
    sheet, _ = xlsx_rows(client, {"sort": "-created_at"})
    assert (
        sheet[0]
        == tuple(csv_body[0])
        == ("Our reference", "CA reference", "Your reference", "Common name", "Ordered", "Delivered")
    )
    assert sheet[1][2:4] == ("Zürich <&> 東京", "'=cmd()")  # the control character removed (not XML)
    assert isinstance(sheet[1][4], datetime) and isinstance(sheet[2][5], datetime)
    # The CSV keeps the control character; the rest is the same, row for row.
    assert [[as_csv(value) for value in row] for row in sheet[1:]] == [
        [value.replace("\x07", "") for value in row] for row in csv_body[1:]
    ]


@pytest.mark.django_db
def test_xlsx_first_bytes_leave_before_the_rows_are_read(client, tech, account, product):
    bulk_orders(account, product, 3)
    client.force_login(tech)
    client.get(CSV)  # the account's cached figures are computed once, outside the counts
    response = client.get(XLSX)
    assert response.streaming and response["Content-Disposition"].startswith('attachment; filename="orders-')
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as ctx:
        first = next(stream)
    assert first.startswith(b"PK\x03\x04") and len(ctx.captured_queries) == 0
    with CaptureQueriesContext(connection) as ctx:
        rest = b"".join(stream)
    assert len(ctx.captured_queries) == 2  # the ids, then one chunk
    assert zipfile.ZipFile(io.BytesIO(first + rest)).testzip() is None


def test_chunks_stay_within_the_databases_parameter_limit(monkeypatch):
    monkeypatch.setattr(connection.features, "max_query_params", 999)
    assert exports.chunk_size() == 899
    monkeypatch.setattr(connection.features, "max_query_params", None)
    assert exports.chunk_size() == exports.CHUNK
