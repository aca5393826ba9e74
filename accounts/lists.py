"""Pagination and sorting of every list from the query string, with `per_page` and `page` as user input.

One mechanism for every list of the portal (django-tables2 tables and plain paginated pages):

- `per_page` is clamped to `PER_PAGE_CHOICES` (the next choice up, at most the largest; garbage,
  zero or a negative number gives the list's default);
- `page` out of range answers the last page, garbage the first page: never a 500;
- `sort` (the table's order-by field) accepts only the table's orderable columns.

Views call `configure_table(request, table)` instead of django-tables2's `RequestConfig`, and
`paginate(request, rows)` instead of `Paginator(...).get_page(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django_tables2 import RequestConfig, Table
from django_tables2.data import TableQuerysetData

PER_PAGE_CHOICES: tuple[int, ...] = (25, 50, 100, 250)
DEFAULT_PER_PAGE = 25


def clamp_per_page(value: Any, default: int = DEFAULT_PER_PAGE) -> int:
    """A page size from user input: one of PER_PAGE_CHOICES (the default for garbage or <= 0)."""
    try:
        wanted = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    if wanted <= 0:
        return default
    for choice in PER_PAGE_CHOICES:
        if wanted <= choice:
            return choice
    return PER_PAGE_CHOICES[-1]


def clamp_page(paginator: Paginator, value: Any) -> Page:
    """The page asked for, the last one when out of range, the first one for garbage."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return paginator.page(1)
    if number < 1:
        return paginator.page(1)
    return paginator.page(min(number, paginator.num_pages))


class CountedRows:
    """Rows whose number is answered by `count` (a cached count, issue 17) instead of a COUNT over
    the whole list on every request; slicing reads only the page from the queryset."""

    def __init__(self, rows: Any, count: Callable[[], int]) -> None:
        self.rows, self._count = rows, count

    def count(self) -> int:
        return self._count()

    def __len__(self) -> int:
        return self._count()

    def __getitem__(self, key: Any) -> Any:
        return self.rows[key]


class CountedTableData(TableQuerysetData):
    """A table's queryset whose number of rows is answered by `count` (a cached count, issue 17)
    instead of a COUNT over the whole list on every request."""

    def __init__(self, data: Any, count: Callable[[], int]) -> None:
        super().__init__(data)
        self._count = count

    def __len__(self) -> int:
        if getattr(self, "_length", None) is None:
            self._length = self._count()
        return int(self._length)

    def __getitem__(self, key: Any) -> Any:
        """A page in the second half is read from the end in the reversed order (the last page
        costs the first page's query, not an OFFSET over the whole list); the id breaks ties, so
        the reversed order is the exact mirror."""
        ordering = list(self.data.query.order_by) or list(self.data.model._meta.ordering)
        if not isinstance(key, slice) or key.stop is None or not all(isinstance(f, str) for f in ordering):
            return super().__getitem__(key)
        if not any(str(field).lstrip("-") in ("pk", "id") for field in ordering):
            ordering.append("-pk" if ordering and str(ordering[0]).startswith("-") else "pk")
        ordered = self.data.order_by(*ordering)
        total, start = len(self), key.start or 0
        if total and start > total // 2:
            rows = list(ordered.reverse()[max(total - key.stop, 0) : total - start])
            rows.reverse()
            return rows
        return ordered[key]


def paginate(
    request: HttpRequest,
    rows: Sequence[Any] | Any,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    prefix: str = "",
) -> Page:
    """A page of `rows` (a queryset or a list) from `?page=` and `?per_page=`, never an error."""
    size = clamp_per_page(request.GET.get(f"{prefix}per_page"), per_page)
    return clamp_page(Paginator(rows, size), request.GET.get(f"{prefix}page"))


def configure_table(request: HttpRequest, table: Table, per_page: int = DEFAULT_PER_PAGE) -> Table:
    """Sort and paginate a django-tables2 table from the request (the only entry point for tables)."""
    RequestConfig(request, paginate=False).configure(table)
    size = clamp_per_page(request.GET.get(table.prefixed_per_page_field), per_page)
    table.paginate(per_page=size, page=1)
    table.page = clamp_page(table.paginator, request.GET.get(table.prefixed_page_field))
    return table


def configure_unpaginated(request: HttpRequest, table: Table) -> Table:
    """Sort a table shown whole (a short list, or an export) from the request."""
    return RequestConfig(request, paginate=False).configure(table)
