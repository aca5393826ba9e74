"""LIST-1 / PLAT-5: the filtered order list as CSV (streamed line by line) or XLSX.

The columns are those the user sees (ADM-8), the order reference always first. Issue 17: the
whole list is read in two steps, as the deferred-join pages are. First the ids of every row in the
list's order (over the `(account, column, id)` indexes: 100,000 ids in about a tenth of a second),
then the rows CHUNK ids at a time (`pk IN (...)`), only the columns exported (`values()`: no model
instances, no CSR text), each chunk with its per-row subqueries (latest certificate). A constant
number of queries per chunk, never per row; the first line leaves after the ids and one chunk (a
single server-side cursor over the whole list made PostgreSQL plan for the whole result first:
seconds before its first row). The same code runs on SQLite (chunks within its parameter limit).
Both stream as the rows are read: the CSV line by line, the XLSX through `accounts.xlsx` (a zip
written as it goes; its first bytes leave before the first query). The cells are the same in both
(dates are real dates in the XLSX, `Y-m-d` text in the CSV).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.cells import unformula
from accounts.lists import total_order
from accounts.xlsx import xlsx_response

from .models import Certificate, Order
from .services.listing import blocking_point

if TYPE_CHECKING:
    from .services.listing import ListedOrder

CHUNK = 2000

Row = dict[str, Any]


def _date(value: datetime | None) -> date | None:
    """The local day (without Django's format machinery: it ran once per cell); the CSV writes it
    as `Y-m-d`, the XLSX as a date."""
    return timezone.localtime(value).date() if value else None


def _labels(choices: Any) -> dict[Any, str]:
    """A choice field's labels, translated once per export (get_FOO_display rebuilt its choices on
    every call: most of an export's time at 100,000 rows)."""
    return {value: str(label) for value, label in choices}


def _field_labels(field: str) -> dict[Any, str]:
    model_field = Order._meta.get_field(field)
    assert isinstance(model_field, models.Field)  # a concrete column, not a relation
    return _labels(model_field.flatchoices)


def _getters() -> dict[str, tuple[tuple[str, ...], Callable[[Row], Any]]]:
    """Per exported column: the values read (fields of the list's queryset) and the cell made of
    them. The same columns as on screen, as plain text (no HTML)."""
    software = _field_labels("server_software")
    status = _field_labels("status")
    state = _labels(Certificate.State.choices)

    def plain(field: str) -> tuple[tuple[str, ...], Callable[[Row], Any]]:
        return (field,), lambda row: row[field]

    def dated(field: str) -> tuple[tuple[str, ...], Callable[[Row], Any]]:
        return (field,), lambda row: _date(row[field])

    return {
        "reference": plain("reference"),
        "customer_reference": plain("customer_reference"),
        "ca_reference": plain("ca_reference"),
        "common_name": plain("common_name"),
        "sans": (("sans",), lambda row: " ".join(row["sans"] or [])),
        "organisation": plain("organisation__name"),
        "product": plain("product_name"),
        "brand": plain("brand_name"),
        "server_software": (
            ("server_software",),
            lambda row: software.get(row["server_software"], row["server_software"]),
        ),
        "ordered_by": (("created_by__username",), lambda row: row["created_by__username"] or ""),
        "created_at": dated("created_at"),
        "delivered_at": dated("delivered_at"),
        "valid_until": dated("valid_until"),
        "certificate_state": (
            ("certificate_state",),
            lambda row: state.get(row["certificate_state"], "") if row["certificate_state"] else "",
        ),
        "status": (("status",), lambda row: status.get(row["status"], row["status"])),
        "blocking": (("status",), lambda row: blocking_point(row["status"])),
        **{f"custom_{n}": plain(f"custom_{n}") for n in range(1, 5)},
    }


def export_columns(shown: list[str]) -> list[str]:
    """The columns shown, with the identifiers (our reference, the CA's) always present."""
    exportable = _getters().keys()
    columns = [name for name in shown if name in exportable and name != "reference"]
    identifiers = ["reference"] if "ca_reference" in columns else ["reference", "ca_reference"]
    return identifiers + columns


def _cell(value: Any) -> str | date:
    """A spreadsheet must not run a cell as a formula (CSV injection): such text gets a leading quote.
    Dates stay dates."""
    if isinstance(value, date):
        return value
    return unformula("" if value is None else str(value))


def chunk_size() -> int:
    """CHUNK ids per query, fewer where the database limits the parameters (SQLite: 999), leaving
    room for the list's own filters."""
    limit = connection.features.max_query_params
    return CHUNK if limit is None else min(CHUNK, limit - 100)


def rows(orders: QuerySet[ListedOrder], columns: list[str]) -> Iterator[list[str | date]]:
    """The rows of `orders` in its order, as exported cells. Made when called (the labels are
    translated in the request's language); the queries run as the rows are read: one for the ids,
    then one per chunk."""
    getters = _getters()
    cells = [getters[name][1] for name in columns]
    fields = list(dict.fromkeys(field for name in columns for field in getters[name][0]))
    size = chunk_size()

    def generate() -> Iterator[list[str | date]]:
        ids = list(total_order(orders).values_list("pk", flat=True))
        unordered = orders.order_by()
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            found = {row["pk"]: row for row in unordered.filter(pk__in=chunk).values("pk", *fields)}
            for pk in chunk:
                row = found.get(pk)
                if row is not None:  # deleted since the ids were read
                    yield [_cell(cell(row)) for cell in cells]

    return generate()


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be yielded one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(orders: QuerySet[ListedOrder], columns: list[str], header: list[str]) -> Iterator[str]:
    """The CSV of `orders`, one line at a time.

    Streamed after the view returned, outside the request's tenant scope: `orders` was built in
    the view (django-scopes filters when a queryset is made), so only it is read here.
    """
    writer = csv.writer(_Echo())
    lines = rows(orders, columns)

    def generate() -> Iterator[str]:
        yield "\ufeff"  # BOM: spreadsheets then read the file as UTF-8
        yield writer.writerow(header)
        for row in lines:
            yield writer.writerow(row)

    return generate()


def xlsx(
    orders: QuerySet[ListedOrder], columns: list[str], header: list[str], filename: str
) -> StreamingHttpResponse:
    """The XLSX of `orders`, streamed as it is written (the same cells as the CSV's)."""
    return xlsx_response(header, rows(orders, columns), filename, sheet_name="orders")
