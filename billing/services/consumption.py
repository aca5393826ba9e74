"""Consumption statistics over a chosen period, month by month (LEDG-3).

Two measures:
- volume: tokens used per product, from the token ledger (consumption less the tokens refunded
  after a cancellation), by the month of the movement;
- value: amounts excluding VAT of the invoice lines less the credit note lines (which are
  negative), by the month of the document's issue date. Invoice lines carry their description,
  not a product, so value rows are per billed item.
Each measure is one aggregate query whatever the period's length.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from ..models import DocumentLine, MovementKind, TokenMovement
from .accounting import ACCOUNTING_KINDS

# The longest period shown at once: the chart and the table stay readable.
MAX_MONTHS = 36


class Measure(models.TextChoices):
    VOLUME = "volume", _("Volume (tokens)")
    VALUE = "value", _("Value (EUR excl. VAT)")


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after `month` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of the months from `start`'s to `end`'s, both included."""
    first, last = start.replace(day=1), end.replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def last_twelve_months(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The default period (LEDG-3): the current month and the eleven before it."""
    current = (today or timezone.localdate()).replace(day=1)
    return add_months(current, -11), current


@dataclass
class ConsumptionRow:
    key: str
    label: str
    values: list[Decimal | int] = field(default_factory=list)  # one per month of the period

    @property
    def total(self) -> Decimal | int:
        return sum(self.values)


@dataclass
class Consumption:
    measure: str
    months: list[datetime.date]
    rows: list[ConsumptionRow]

    @property
    def month_totals(self) -> list:
        return (
            [sum(row.values[i] for row in self.rows) for i in range(len(self.months))]
            if self.rows
            else [self._zero()] * len(self.months)
        )

    @property
    def total(self) -> Any:
        return sum(self.month_totals, self._zero())

    def _zero(self) -> Any:
        return Decimal("0.00") if self.measure == Measure.VALUE else 0


def _month_start(month: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))


def _as_month(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def consumption(account: Account, start: datetime.date, end: datetime.date, measure: str) -> Consumption:
    """LEDG-3: the account's consumption per product (or billed item) and month, `start` to `end`
    (months, both included)."""
    months = months_between(start, end)
    if not months:
        raise ValueError("The period ends before it starts.")
    after = add_months(months[-1], 1)
    if measure == Measure.VOLUME:
        rows = (
            TokenMovement.objects.filter(
                account=account,
                kind__in=(MovementKind.CONSUMPTION, MovementKind.REFUND),
                created_at__gte=_month_start(months[0]),
                created_at__lt=_month_start(after),
            )
            .annotate(month=TruncMonth("created_at"))
            .order_by()
            .values_list("month", "product__code", "product__name")
            .annotate(amount=Sum("quantity"))
        )
        # Consumption is negative in the ledger: the statistics count tokens used.
        cells: list[tuple[Any, str, str, Decimal | int]] = [
            (month, code, name, -amount) for month, code, name, amount in rows
        ]
        zero: Decimal | int = 0
    elif measure == Measure.VALUE:
        lines = (
            DocumentLine.objects.filter(
                document__account=account,
                document__kind__in=ACCOUNTING_KINDS,
                document__issue_date__gte=months[0],
                document__issue_date__lt=after,
            )
            .annotate(month=TruncMonth("document__issue_date"))
            .order_by()
            .values_list("month", "description")
            .annotate(amount=Sum("total_excl_vat"))
        )
        cells = [(month, description, description, amount) for month, description, amount in lines]
        zero = Decimal("0.00")
    else:
        raise ValueError(f"Unknown measure {measure!r}.")
    position = {month: index for index, month in enumerate(months)}
    by_key: dict[str, ConsumptionRow] = {}
    for month, key, label, amount in cells:
        row = by_key.setdefault(key, ConsumptionRow(key, label, [zero] * len(months)))
        row.values[position[_as_month(month)]] += amount
    ordered = sorted(by_key.values(), key=lambda row: (-row.total, row.label))
    return Consumption(measure, months, ordered)
