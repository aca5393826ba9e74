"""Number formats of the document PDFs, in the active language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def money(value: Decimal) -> str:
    """1234.5 → "1,234.50 €" in English, "1 234,50 €" in French."""
    return f"{floatformat(value, '2g')}\u00a0€"


@register.filter
def rate(value: Decimal) -> str:
    """20.00 → "20 %", 5.50 → "5.5 %"."""
    return f"{floatformat(value, '-2')}\u00a0%"


@register.filter
def quantity(value: Decimal) -> str:
    return floatformat(value, "-2")
