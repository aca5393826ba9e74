"""Pagination and sorting of every list from the query string, with `per_page` and `page` as user input.

One mechanism for every list of the portal (django-tables2 tables and plain paginated pages):

- `per_page` is clamped to `PER_PAGE_CHOICES` (the next choice up, at most the largest; garbage,
  zero or a negative number gives the list's default);
- `page` out of range answers the last page, garbage the first page: never a 500;
- `sort` (the table's order-by field) accepts only the table's orderable columns.

Views call `configure_table(request, table)` instead of django-tables2's `RequestConfig`, and
`paginate(request, rows)` instead of `Paginator(...).get_page(...)`.

A table read through `DeferredJoinData` pages by keyset from its links (issue 17, deep pages): each
page link carries a `cursor` naming the page it was written on (its place in the list and the sort
keys of its first and last rows), so the next, previous or a nearby page is read from that row on
instead of skipping every row before it. A page asked for by number alone (a typed or old URL) is
counted from the nearer end of the list.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import F, Field, JSONField, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
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


@functools.lru_cache(maxsize=128)
def _url_around(url_name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    head, _marker, tail = reverse(url_name, args=["ARGUMENT"], urlconf=urlconf).partition("ARGUMENT")
    return head, tail


def row_url(url_name: str, argument: str) -> str:
    """`reverse(url_name, args=[argument])` for a URL of one string argument, the pattern reversed
    once per process (issue 17, load: a list has a link per row)."""
    head, tail = _url_around(url_name, get_script_prefix(), get_urlconf())
    return f"{head}{quote(str(argument), safe='')}{tail}"


CURSOR_FIELD = "cursor"


def keyset_fields(model: type[Model], ordering: Sequence[str]) -> list[Field[Any, Any]] | None:
    """The model's fields of a sort that a keyset can follow, or None: every key a column of the
    model itself (no join, no annotation, no relation sorted by its model's own ordering, no JSON),
    never NULL (PostgreSQL and SQLite put NULLs at opposite ends), all in one direction."""
    if not ordering or len({key.startswith("-") for key in ordering}) != 1:
        return None
    fields: list[Field[Any, Any]] = []
    for key in ordering:
        name = key.lstrip("-")
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not isinstance(field, Field) or not field.concrete or field.is_relation or field.null:
            return None
        if isinstance(field, JSONField):  # compared as JSON on one database, as text on the other
            return None
        fields.append(field)
    return fields


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass(frozen=True)
class PageCursor:
    """The page a link was written on: rows [start, stop) of the list sorted by `ordering`, and the
    sort keys of its first and last rows."""

    ordering: tuple[str, ...]
    start: int
    stop: int
    first: tuple[Any, ...]
    last: tuple[Any, ...]

    def token(self) -> str:
        data = [list(self.ordering), self.start, self.stop, list(self.first), list(self.last)]
        text = json.dumps(data, default=_json_value, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def parse(
        cls, token: str, fields: Sequence[Field[Any, Any]], ordering: tuple[str, ...]
    ) -> PageCursor | None:
        """The cursor of `token` for a list sorted by `ordering`, or None (garbage, another sort)."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            sort, start, stop, first, last = json.loads(text)
            if tuple(sort) != ordering or not (isinstance(start, int) and isinstance(stop, int)):
                return None
            if not 0 <= start < stop or len(first) != len(fields) or len(last) != len(fields):
                return None
            keys = [
                tuple(field.to_python(value) for field, value in zip(fields, row, strict=True))
                for row in (first, last)
            ]
        except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeDecodeError):
            return None
        if any(value is None for row in keys for value in row):
            return None
        return cls(ordering, start, stop, keys[0], keys[1])


class DeferredJoinData(TableQuerysetData):
    """A table's queryset read a page at a time in two steps (issue 17, deep pages):

    - the page's ids first, sorted and offset over the filtered and sorted columns alone (an index
      that has them, account first, makes this an index-only scan), with none of the per-row
      annotations (subqueries, joins) the rows carry: PostgreSQL would otherwise compute them for
      every row an OFFSET skips;
    - then those rows, with their annotations, by id: from the queryset, or by `page_rows`, the
      list's own query of rows by id (only the shown columns' fields and joins, compiled once per
      process: `accounts.prepared`).

    A page is read from the nearest known row: the start of the list, its end (in the reversed
    order: the last page costs what the first does), or the first or last row of the page whose
    link was followed (`cursor`, when the sort is a keyset: `keyset_fields`). `count`, when given,
    answers the number of rows (a cached count, kept by the services, `accounts.account_cache`)
    instead of a COUNT over the whole list on every request. Sorting by an annotation still works:
    the ids' query then computes it for the whole list."""

    def __init__(
        self,
        data: QuerySet[Any],
        count: Callable[[], int] | None = None,
        page_rows: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        super().__init__(data)
        self._count = count
        self._page_rows = page_rows  # the page's rows read by the list itself from their ids, if given
        self.cursor = ""  # the `cursor` of the followed link (configure_table)

    def __len__(self) -> int:
        if self._count is not None and getattr(self, "_length", None) is None:
            self._length = self._count()
        return super().__len__()

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return super().__getitem__(key)
        return DeferredPage(self.data, key, len(self), self.cursor, self._page_rows)


class DeferredPage:
    """The rows of one slice, read on first use (pagination may slice a page it does not show)."""

    def __init__(
        self,
        queryset: QuerySet[Any],
        key: slice,
        total: int,
        cursor: str = "",
        page_rows: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        self.queryset, self.key, self.total = queryset, key, total
        self._page_rows = page_rows
        self._cursor = cursor
        self._rows: list[Any] | None = None
        self._keys: list[tuple[Any, ...]] = []
        self._ordering: tuple[str, ...] = ()

    def _page_ids(self) -> list[Any]:
        ordered = total_order(self.queryset)
        self._ordering = ordering = tuple(str(key) for key in ordered.query.order_by)
        fields = keyset_fields(self.queryset.model, ordering)
        if fields is None:
            return [key[0] for key in self._page_keys(ordered, ("pk",), None)]
        names = tuple(key.lstrip("-") for key in ordering)
        cursor = PageCursor.parse(self._cursor, fields, ordering) if self._cursor else None
        self._keys = self._page_keys(ordered, names, cursor)
        position = next(
            i for i, name in enumerate(names) if name in ("pk", self.queryset.model._meta.pk.name)
        )
        return [key[position] for key in self._keys]

    def _page_keys(
        self, ordered: QuerySet[Any], names: tuple[str, ...], cursor: PageCursor | None
    ) -> list[Any]:
        """The sort keys of the page's rows, read from the nearest known row."""
        start, stop = self.key.start or 0, self.key.stop
        if stop is None:
            return list(ordered.values_list(*names)[start:])
        size = stop - start
        # (rows skipped, preference, how): from the start, after or before the followed page, or
        # from the end; on a tie, the start.
        ways: list[tuple[int, int, str]] = [(start, 0, "start")]
        if cursor is not None and start >= cursor.stop:
            ways.append((start - cursor.stop, 1, "after"))
        if cursor is not None and stop <= cursor.start:
            ways.append((cursor.start - stop, 2, "before"))
        if self.total:
            ways.append((max(self.total - stop, 0), 3, "end"))
        skip, _preference, how = min(ways)
        if how == "start":
            return list(ordered.values_list(*names)[start:stop])
        backwards = ordered.reverse()
        if how == "end":
            keys = list(backwards.values_list(*names)[skip : self.total - start])
        elif how == "after":
            assert cursor is not None
            return list(
                ordered.filter(self._beyond(names, cursor.last, forward=True)).values_list(*names)[
                    skip : skip + size
                ]
            )
        else:
            assert cursor is not None
            keys = list(
                backwards.filter(self._beyond(names, cursor.first, forward=False)).values_list(*names)[
                    skip : skip + size
                ]
            )
        keys.reverse()
        return keys

    def _beyond(self, names: tuple[str, ...], key: tuple[Any, ...], *, forward: bool) -> Any:
        """The rows after `key` in the list's order (forward), or before it."""
        ascending = not self._ordering[0].startswith("-")
        lookup = TupleGreaterThan if ascending == forward else TupleLessThan
        return lookup(Tuple(*(F(name) for name in names)), key)

    def link_cursor(self) -> str:
        """The `cursor` the page's links carry (empty when its sort is not a keyset)."""
        rows = self._load()
        if not self._keys or not rows:
            return ""
        start = self.key.start or 0
        return PageCursor(
            self._ordering, start, start + len(self._keys), self._keys[0], self._keys[-1]
        ).token()

    def _load(self) -> list[Any]:
        if self._rows is None:
            ids = self._page_ids()
            if not ids:
                rows = {}
            elif self._page_rows is not None:
                rows = {row.pk: row for row in self._page_rows(ids)}
            else:
                rows = {row.pk: row for row in self.queryset.filter(pk__in=ids).order_by()}
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
    if isinstance(table.data, DeferredJoinData):
        table.data.cursor = request.GET.get(f"{table.prefix}{CURSOR_FIELD}", "")
    table.paginate(per_page=size, page=1)
    table.page = clamp_page(table.paginator, request.GET.get(table.prefixed_page_field))
    return table


def configure_unpaginated(request: HttpRequest, table: Table) -> Table:
    """Sort a table shown whole (a short list, or an export) from the request."""
    return RequestConfig(request, paginate=False).configure(table)
