"""Number formats of the document PDFs, in the active language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language

register = template.Library()


# Amounts repeat (a product's price, its VAT): each text is kept per process by amount and
# language (issue 17, load: three amounts per row of every accounting list).
_money: dict[tuple[Decimal, str | None], str] = {}
_MAX_MONEY = 8192


@register.filter
def money(value: Decimal) -> str:
    """1234.5 → "1,234.50 €" in English, "1 234,50 €" in French."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{floatformat(value, '2g')}\u00a0€"
    key = (value, get_language())
    text = _money.get(key)
    if text is None:
        if len(_money) >= _MAX_MONEY:
            _money.clear()
        text = _money[key] = f"{floatformat(value, '2g')}\u00a0€"
    return text


@register.filter
def rate(value: Decimal) -> str:
    """20.00 → "20 %", 5.50 → "5.5 %"."""
    return f"{floatformat(value, '-2')}\u00a0%"


@register.filter
def quantity(value: Decimal) -> str:
    return floatformat(value, "-2")
