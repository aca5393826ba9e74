"""Dates and amounts as text in the active language (issue 8 point 13), for what is not rendered by a
template filter: emails built by a task (their context must be plain text), messages, PDFs' inputs.

Pages use the `date` filter with "DATE_FORMAT" / "SHORT_DATETIME_FORMAT" and localized numbers; both
read portal/formats/<lang>/formats.py, so a date or an amount reads the same on a page, in an email
and in a PDF: "4 Dec 2026" / "04/12/2026", "1,234.50" / "1 234,50".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone


def date_text(value: date | datetime | None) -> str:
    """A day in the active language's DATE_FORMAT (a datetime is taken in the portal's time zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def datetime_text(value: datetime | None) -> str:
    """A moment in the active language's SHORT_DATETIME_FORMAT, in the portal's time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def amount_text(value: Decimal | int | None) -> str:
    """An amount with two decimals and grouped thousands: "1,234.50" in English, "1 234,50" in French."""
    if value is None:
        return ""
    return formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
