"""Issue 17 (load): a `<select>` rendered in Python.

Django renders a Select through templates, one `{% include %}` per option: the order list's
filter form (226 products, 25 statuses, the account's users) spent tens of milliseconds of every
list request there. `FastSelect` writes the same HTML (same attributes, same escaping; compared
with Django's in `tests/accounts/test_widgets.py`) with `format_html`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """Django's widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class FastSelect(forms.Select):
    """Django's Select, its options written straight from `choices` (Django builds a dict of
    attributes per option first: most of the cost once the templates are gone)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        chosen = set(self.format_value(value))
        state = {"selected": False}

        def option(option_value: Any, label: Any) -> str:
            selected = (not state["selected"] or self.allow_multiple_selected) and str(option_value) in chosen
            state["selected"] |= selected
            marked = " selected" if selected else ""
            return f'\n  <option value="{escape(str(option_value))}"{marked}>{conditional_escape(label)}</option>'

        parts: list[str] = [format_html('<select name="{}"{}>', name, _attrs(select_attrs))]
        for option_value, label in self.choices:
            if option_value is None:
                option_value = ""
            if isinstance(label, (list, tuple)):
                parts.append(format_html('\n  <optgroup label="{}">', option_value))
                parts.extend(option(sub_value, sub_label) for sub_value, sub_label in label)
                parts.append("\n  </optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value and label escaped above)
