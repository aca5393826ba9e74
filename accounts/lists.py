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
from django.db.models import QuerySet
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


def total_order(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The queryset's sort (its model's default when it has none) with the primary key last, in the
    first key's direction: rows that tie on the sorted columns keep one order across pages, and the
    reversed order is its exact mirror."""
    ordering = [str(field) for field in queryset.query.order_by] or [
        str(field) for field in queryset.model._meta.ordering
    ]
    if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
        ordering.append("-pk" if ordering and ordering[0].startswith("-") else "pk")
    return queryset.order_by(*ordering)


class DeferredJoinData(TableQuerysetData):
    """A table's queryset read a page at a time in two steps (issue 17, deep pages):

    - the page's ids first, sorted and offset over the filtered and sorted columns alone (an index
      that has them, account first, makes this an index-only scan), with none of the per-row
      annotations (subqueries, joins) the rows carry: PostgreSQL would otherwise compute them for
      every row an OFFSET skips;
    - then those rows, with their annotations, by id.

    A page in the second half is read from the end in the reversed order (the last page costs what
    the first does). `count`, when given, answers the number of rows (a cached count, kept by the
    services, `accounts.account_cache`) instead of a COUNT over the whole list on every request.
    Sorting by an annotation still works: the ids' query then computes it for the whole list."""

    def __init__(
        self,
        data: QuerySet[Any],
        count: Callable[[], int] | None = None,
        rows: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
    ) -> None:
        super().__init__(data)
        self._count = count
        self._rows = rows  # what the page's rows read beyond the ids (e.g. fewer joins), if given

    def __len__(self) -> int:
        if self._count is not None and getattr(self, "_length", None) is None:
            self._length = self._count()
        return super().__len__()

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return super().__getitem__(key)
        return DeferredPage(self.data, key, len(self), self._rows)


class DeferredPage:
    """The rows of one slice, read on first use (pagination may slice a page it does not show)."""

    def __init__(
        self,
        queryset: QuerySet[Any],
        key: slice,
        total: int,
        rows: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
    ) -> None:
        self.queryset, self.key, self.total = queryset, key, total
        self._shape = rows
        self._rows: list[Any] | None = None

    def _page_ids(self) -> list[Any]:
        ordered = total_order(self.queryset)
        start, stop = self.key.start or 0, self.key.stop
        if stop is not None and self.total and start > self.total // 2:
            # Second half: the same rows counted from the end of the reversed order.
            ids = list(
                ordered.reverse().values_list("pk", flat=True)[max(self.total - stop, 0) : self.total - start]
            )
            ids.reverse()
            return ids
        return list(ordered.values_list("pk", flat=True)[self.key])

    def _load(self) -> list[Any]:
        if self._rows is None:
            ids = self._page_ids()
            queryset = self._shape(self.queryset) if self._shape else self.queryset
            rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()} if ids else {}
            self._rows = [rows[pk] for pk in ids if pk in rows]
        return self._rows

    def __iter__(self) -> Any:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]


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
