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

from typing import Any

from django import template
from django.template.base import render_value_in_context
from django.templatetags.l10n import localize, unlocalize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


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
    for row in table.paginated_rows:
        parts.append(f"<tr {row.attrs.as_html()}>")
        for column, cell in row.items():
            if column.name not in static:
                static[column.name] = _static_td(column)
            td = static[column.name]
            if td is None:
                td = column.attrs["td"].as_html()
            if column.localize is None:
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
