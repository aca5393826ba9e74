"""LIST-1 / PLAT-5: the filtered order list as CSV (streamed line by line) or XLSX.

The columns are those the user sees (ADM-8), the order reference always first. Rows are read with
a database cursor in chunks (`iterator`), so 100,000 orders never sit in memory at once. The CSV
streams from the first row; the XLSX is written by openpyxl's write-only workbook to a temporary
file, which is then streamed.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from django.db import models
from django.db.models import QuerySet

from .models import Order
from .tables import EXPORT_VALUES

if TYPE_CHECKING:
    from .services.listing import ListedOrder

CHUNK = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_columns(shown: list[str]) -> list[str]:
    """The columns shown, with the identifiers (our reference, the CA's) always present."""
    columns = [name for name in shown if name in EXPORT_VALUES and name != "reference"]
    identifiers = ["reference"] if "ca_reference" in columns else ["reference", "ca_reference"]
    return identifiers + columns


def _cell(value: Any) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): such text gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _labelled(field: str) -> Callable[[ListedOrder], str]:
    """The label of a choice field's value, from a table made once per export (Django's
    get_FOO_display rebuilds its choices on every call: most of an export's time at 100,000 rows)."""
    model_field = Order._meta.get_field(field)
    assert isinstance(model_field, models.Field)  # a concrete column, not a relation
    labels = {value: str(label) for value, label in model_field.flatchoices}
    return lambda order: labels.get(getattr(order, field), str(getattr(order, field)))


def rows(orders: QuerySet[ListedOrder], columns: list[str]) -> Iterator[list[str]]:
    labelled: dict[str, Callable[[ListedOrder], str]] = {
        name: _labelled(name) for name in ("server_software", "status") if name in columns
    }
    getters = [labelled.get(name) or EXPORT_VALUES[name] for name in columns]
    for order in orders.iterator(chunk_size=CHUNK):
        yield [_cell(get(order)) for get in getters]


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be yielded one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(orders: QuerySet[ListedOrder], columns: list[str], header: list[str]) -> Iterator[str]:
    """The CSV of `orders`, one line at a time.

    Streamed after the view returned, outside the request's tenant scope: `orders` was built in
    the view (django-scopes filters when a queryset is made), so only it is iterated here.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheets then read the file as UTF-8
    yield writer.writerow(header)
    for row in rows(orders, columns):
        yield writer.writerow(row)


def xlsx_file(orders: QuerySet[ListedOrder], columns: list[str], header: list[str]) -> IO[bytes]:
    """The XLSX of `orders` in a temporary file, rewound, for a FileResponse to stream."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("orders")
    sheet.append(header)
    for row in rows(orders, columns):
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse)
    workbook.save(handle)
    handle.seek(0)
    return handle
