"""Dates and amounts of emails in the language they are rendered in (issue 8 point 13).

An email's context is JSON (it travels through the outbox) and one context is rendered once per
language: for the recipient, and again for a contact point reading another language (ADM-6). So the
context holds a day as ISO text ("2026-12-04") and an amount as a decimal string ("1234.50"), and
the template writes them with these filters: `{{ end|day_text }}` → "4 Dec 2026" / "04/12/2026",
`{{ total|amount_text }}` → "1,234.50" / "1 234,50" (accounts.formatting, as pages print them).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from accounts import formatting

register = template.Library()


@register.filter
def day_text(value: Any) -> Any:
    """A day (a date, a datetime, or either as ISO text, "2026-12-04 10:00 UTC" too) in the active
    language's DATE_FORMAT; anything else is returned as it is."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                datetime.date.fromisoformat(text)
                if len(text) == 10
                else datetime.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
            )
        except ValueError:
            return value
    if isinstance(value, datetime.date):
        return formatting.date_text(value)
    return value


@register.filter
def amount_text(value: Any) -> Any:
    """An amount (a Decimal, a number or its text) with two decimals in the active language."""
    if value is None or value == "":
        return value
    try:
        return formatting.amount_text(Decimal(str(value)))
    except InvalidOperation:
        return value
