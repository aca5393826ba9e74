"""`{% form_field field %}`: `accounts/includes/field.html` written in Python (issue 17, load).

The order list shows nine filter fields on every request; an `{% include %}` of the field template
per field cost about a tenth of the page's CPU. This tag writes the same HTML (labels, required
mark, help text, errors; `tests/accounts/test_form_field_tag.py` compares it with the include) and
leaves the widget's own HTML to the widget, as `{{ field }}` does.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    if field.is_hidden:
        return conditional_escape(str(field))
    checkbox = field.widget_type == "checkbox"
    classes = "field" + (" has-error" if field.errors else "") + (" checkbox" if checkbox else "")
    parts: list[str] = [format_html('<div class="{}" id="field-{}">', classes, field.html_name)]
    if checkbox:
        parts.append(format_html('<label for="{}">{} {}</label>', field.id_for_label, field, field.label))
    elif field.use_fieldset:
        parts.append(
            format_html('<span class="label">{}</span><div class="choices">{}</div>', field.label, field)
        )
    else:
        required = (
            mark_safe(' <span class="required" aria-hidden="true">*</span>') if field.field.required else ""
        )
        parts.append(
            format_html('<label for="{}">{}{}</label>{}', field.id_for_label, field.label, required, field)
        )
    if field.help_text:
        parts.append(
            format_html('<span class="helptext" id="{}_helptext">{}</span>', field.auto_id, field.help_text)
        )
    if field.errors:
        parts.append(conditional_escape(str(field.errors)))
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above or by the widget)
