"""`{% table_rows table %}`: a django-tables2 table's body written in Python (issue 17, load).

The portal's table template (`templates/django_tables2/portal.html`, `DJANGO_TABLES2_TEMPLATE`) is
django-tables2's bootstrap5 template with its `<tbody>` loop replaced by this tag. The template
engine paid a `{% for %}` step, three attribute lookups and an `{% if %}` for every cell (a page of
25 rows and 10 columns has 250): about a third of a list page's CPU. The cells are the same
objects (`BoundRow.items`, the columns' `render_*`; a column's `<td>` attributes are computed
once per table unless they hold a callable, which then sees each record as before), escaped and localized as `{{ cell }}`, `|localize` and `|unlocalize`
do; `tests/accounts/test_table_rendering.py` compares the HTML with django-tables2's template.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_tables2 as tables
from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.templatetags.l10n import localize, unlocalize
from django.utils.encoding import force_str
from django.utils.formats import get_format
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.templatecolumn import TemplateColumn
from django_tables2.utils import call_with_appropriate

from accounts.lists import CURSOR_FIELD, DeferredPage

register = template.Library()

_DATE_CODE = re.compile(r'^\{\{ value\|date:"([^"]*)"\|default:default \}\}$')
_MISSING = object()


class _Slow(Exception):
    """This cell needs django-tables2's own path (`BoundRow.get_cell`)."""


class _FastCell:
    """One column's cells computed as `BoundRow._get_and_render_with` and `_call_render` do, for
    the column kinds the portal's tables use (issue 17, load): django-tables2 resolved the accessor
    through exceptions (a dict lookup first, on a model), rebuilt the choices' dict of a field
    with choices on every cell (`get_FOO_display`, hashing every lazy label) and rendered each
    date through a template. Anything else (links, callables, other template columns, a failed
    lookup) raises `_Slow` and the cell takes django-tables2's path, so the HTML never differs
    (`tests/accounts/test_table_rendering.py`)."""

    def __init__(self, bound_column: Any) -> None:
        column = bound_column.column
        self.bound_column = bound_column
        self.accessor = str(bound_column.accessor)
        self.bits = tuple(self.accessor.split("__")) if self.accessor else ()
        self.empty_values = column.empty_values
        self.render: Callable[[Any, Any, Any], Any] | None
        self.labels: dict[Any, Any] | None | object = (
            _MISSING  # the field's choices, known at the first model record
        )
        self.date_format: str | None = None
        render = bound_column.render
        function = getattr(render, "__func__", None)
        if bound_column.link or not isinstance(column, tables.Column):
            raise _Slow
        if isinstance(column, (tables.ManyToManyColumn, BaseLinkColumn)):
            raise _Slow  # their own empty test and link text
        if function is tables.Column.render:
            self.render = None  # the value itself
        elif function is TemplateColumn.render:
            found = _DATE_CODE.match(getattr(column, "template_code", None) or "")
            if not isinstance(column, tables.DateColumn) or found is None:
                raise _Slow
            self.render, self.date_format = self._date, found.group(1)
        else:
            self.render = self._call

    def _date(self, value: Any, record: Any, row: Any) -> SafeString:
        # `{{ value|date:"…"|default:default }}` of DateColumn's template, as its template writes it.
        shown = _date_text(template_localtime(value), self.date_format or "") or self.bound_column.default
        return mark_safe(conditional_escape(shown))  # noqa: S308 (escaped on this line)

    def _call(self, value: Any, record: Any, row: Any) -> Any:
        return call_with_appropriate(
            self.bound_column.render,
            {
                "value": value,
                "record": record,
                "column": self.bound_column.column,
                "bound_column": self.bound_column,
                "bound_row": row,
                "table": row._table,
            },
        )

    def _choice_labels(self, record: Any, penultimate: Any) -> dict[Any, Any] | None:
        """The field's choices as shown (`get_FOO_display`), when the accessor ends on one."""
        remainder = self.bits[-1] if self.bits else ""
        try:
            field = tables.A(self.accessor).get_field(record)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "choices", ()) or not hasattr(penultimate, f"get_{remainder}_display"):
            return None
        return {key: force_str(label, strings_only=True) for key, label in make_hashable(field.flatchoices)}

    def value(self, record: Any) -> Any:
        penultimate = None  # what the last bit is read on, when the lookup gets that far
        if isinstance(record, dict) and self.accessor in record:
            current = record[self.accessor]
        else:
            current = record
            for index, bit in enumerate(self.bits):
                if index == len(self.bits) - 1:
                    penultimate = current
                try:
                    current = current[bit] if isinstance(current, dict) else getattr(current, bit)
                except (KeyError, AttributeError, TypeError) as exc:
                    raise _Slow from exc
                if callable(current):
                    raise _Slow
                if current is None:
                    break
        if isinstance(penultimate, models.Model):
            if self.labels is _MISSING:
                self.labels = self._choice_labels(record, penultimate)
            labels = self.labels
            if isinstance(labels, dict):
                try:
                    shown = labels.get(current, _MISSING)
                except TypeError:  # an unhashable value
                    shown = labels.get(make_hashable(current), _MISSING)
                current = force_str(current, strings_only=True) if shown is _MISSING else shown
        return current

    def cell(self, row: Any) -> Any:
        record = row.record
        value = self.value(record)
        if value in self.empty_values:
            return self.bound_column.default
        if self.render is None:
            return value
        return self.render(value, record, row)


# Format characters of Django's date filter that read the date alone (not the time or zone).
_DATE_ONLY = frozenset("dDjlNSwzWFmMnytLoYyEb")
_dates: dict[tuple[Any, str, str | None], str] = {}
_MAX_DATES = 8192


def _date_text(value: Any, format_name: str) -> str:
    """The date filter's text for `value` (already in local time): for a format of the date alone,
    kept per process by day, format and language (a list shows the same days again and again)."""
    resolved = str(get_format(format_name))
    if (
        not isinstance(value, datetime.date)
        or "\\" in resolved
        or not _DATE_ONLY.issuperset(char for char in resolved if char.isalpha())
    ):
        return str(date_filter(value, format_name))
    day = value.date() if isinstance(value, datetime.datetime) else value
    key = (day, resolved, get_language())
    text = _dates.get(key)
    if text is None:
        if len(_dates) >= _MAX_DATES:
            _dates.clear()
        text = _dates[key] = str(date_filter(value, format_name))
    return text


def _fast_cell(bound_column: Any) -> _FastCell | None:
    try:
        return _FastCell(bound_column)
    except _Slow:
        return None


def _has_callable(attrs: Any) -> bool:
    if callable(attrs):
        return True
    if isinstance(attrs, dict):
        return any(_has_callable(value) for value in attrs.values())
    return False


def _static_td(column: Any) -> str | None:
    """The `<td>` attributes of a column whose attrs hold no callable (the same for every cell,
    computed once per table instead of once per cell); None when they depend on the record."""
    attrs = {**column._table.attrs, **column.column.attrs}
    if _has_callable(attrs.get("td", attrs.get("cell", {}))):
        return None
    return str(column.attrs["td"].as_html())


@register.simple_tag(takes_context=True)
def table_rows(context: template.Context, table: Any) -> SafeString:
    """The `<tr>` rows of the table's current page, or its empty text: the `<tbody>`'s content."""
    parts: list[str] = []
    static: dict[str, str | None] = {}
    columns = list(table.columns)
    fast = [_fast_cell(column) for column in columns]
    for row in table.paginated_rows:
        parts.append(f"<tr {row.attrs.as_html()}>")
        for column, quick in zip(columns, fast, strict=True):
            cell: Any = _MISSING
            if quick is not None:
                try:
                    cell = quick.cell(row)
                except _Slow:
                    cell = _MISSING
            if cell is _MISSING:
                cell = row.get_cell(column.name)
            # As BoundRow.items: a callable attribute of the column sees this cell's record and value.
            column.current_value = cell
            column.current_record = row.record
            if column.name not in static:
                static[column.name] = _static_td(column)
            td = static[column.name]
            if td is None:
                td = column.attrs["td"].as_html()
            kind = type(cell)
            if column.localize is None and kind is str and context.autoescape:
                shown = html.escape(cell)  # what conditional_escape writes, without its lazy checks
            elif column.localize is None and kind is SafeString:
                shown = cell
            elif column.localize is None:
                shown = render_value_in_context(cell, context)
            elif column.localize:
                shown = render_value_in_context(localize(cell), context)
            else:
                shown = render_value_in_context(unlocalize(cell), context)
            parts.append(f"<td {td}>{shown}</td>")
        parts.append("</tr>")
    if not parts and table.empty_text:
        parts.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above or by the columns)


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, table: Any, number: Any) -> str:
    """The query string of the link to page `number` of `table`: the current query with that page
    and, when the table pages by keyset (`accounts.lists.DeferredPage`), the `cursor` of the page
    shown, so the linked page is read from its rows on instead of by skipping every row before it."""
    params = dict(context["request"].GET.lists())
    params[table.prefixed_page_field] = [str(number)]
    cursor_field = f"{table.prefix}{CURSOR_FIELD}"
    rows = getattr(getattr(table.page, "object_list", None), "data", None)  # BoundRows over the page
    cursor = rows.link_cursor() if isinstance(rows, DeferredPage) else ""
    if cursor:
        params[cursor_field] = [cursor]
    else:
        params.pop(cursor_field, None)
    return "?" + urlencode(params, doseq=True)
