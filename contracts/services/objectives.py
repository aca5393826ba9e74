"""CON-1: order objectives and the current situation (ordered so far, % reached).

Orders live a floor above this app, so they are counted through a function that `orders`
registers at start-up (`register_order_totals`): given an account and inclusive date ranges, it
answers the number of orders and their amount excl. VAT in each range, in one query.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account

from ..models import Contract, Objective

Span = tuple[datetime.date, datetime.date]  # first and last day, inclusive
OrderTotals = Callable[[Account, Sequence[Span]], list[tuple[int, Decimal]]]

_order_totals: OrderTotals | None = None
MAX_PERIODS_SHOWN = 12


def register_order_totals(function: OrderTotals) -> None:
    """Called by orders.apps at start-up: how orders are counted for objectives."""
    global _order_totals
    _order_totals = function


def order_totals(account: Account, spans: Sequence[Span]) -> list[tuple[int, Decimal]]:
    if _order_totals is None or not spans:
        return [(0, Decimal("0")) for _span in spans]
    return _order_totals(account, spans)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def periods(contract: Contract, period: str) -> list[Span]:
    """The objective's periods over the contract, clipped to its dates: calendar months or
    quarters, contract years, or the whole contract."""
    start, end = contract.starts_on, contract.ends_on
    if period == Objective.Period.CONTRACT:
        return [(start, end)]
    spans: list[Span] = []
    if period == Objective.Period.YEAR:
        cursor = start
        while cursor <= end:
            following = _add_months(cursor, 12)
            spans.append((cursor, min(following - datetime.timedelta(days=1), end)))
            cursor = following
        return spans
    step = 3 if period == Objective.Period.QUARTER else 1
    cursor = start.replace(day=1, month=(start.month - 1) // step * step + 1)
    while cursor <= end:
        following = _add_months(cursor, step)
        spans.append((max(cursor, start), min(following - datetime.timedelta(days=1), end)))
        cursor = following
    return spans


def span_label(span: Span, period: str) -> str:
    if period == Objective.Period.MONTH:
        return formats.date_format(span[0], "M y")
    if period == Objective.Period.QUARTER:
        return _("Q%(quarter)s %(year)s") % {"quarter": (span[0].month - 1) // 3 + 1, "year": f"{span[0]:%y}"}
    return f"{formats.date_format(span[0], 'M y')}–{formats.date_format(span[1], 'M y')}"


@dataclass(frozen=True)
class PeriodResult:
    span: Span
    label: str
    achieved: Decimal

    @property
    def title(self) -> str:
        return f"{formats.date_format(self.span[0])} – {formats.date_format(self.span[1])}"


@dataclass(frozen=True)
class Situation:
    """An objective and where the account stands: the current period's result and the history."""

    objective: Objective
    current: PeriodResult
    history: list[PeriodResult]

    @property
    def target(self) -> Decimal:
        return self.objective.target

    @property
    def is_count(self) -> bool:
        return self.objective.measure == Objective.Measure.COUNT

    @property
    def percent(self) -> int:
        return int(self.current.achieved * 100 / self.target) if self.target else 0

    @property
    def remaining(self) -> Decimal:
        return max(self.target - self.current.achieved, Decimal("0"))


def _current_index(spans: list[Span], today: datetime.date) -> int:
    for index, (first, last) in enumerate(spans):
        if first <= today <= last:
            return index
    return len(spans) - 1 if today > spans[-1][1] else 0


def situations(contract: Contract, today: datetime.date | None = None) -> list[Situation]:
    """Every objective of the contract with its situation, counted in one call of the orders
    function for all periods shown (one query)."""
    today = today or timezone.localdate()
    objectives = list(contract.objectives.all())
    plans = []
    wanted: list[Span] = []
    for objective in objectives:
        spans = periods(contract, objective.period)
        current = _current_index(spans, today)
        shown = spans[max(0, current - MAX_PERIODS_SHOWN + 1) : current + 1]
        plans.append((objective, shown))
        wanted.extend(span for span in shown if span not in wanted)
    totals = dict(zip(wanted, order_totals(contract.account, wanted), strict=True))
    results = []
    for objective, shown in plans:
        history = []
        for span in shown:
            count, amount = totals[span]
            achieved = Decimal(count) if objective.measure == Objective.Measure.COUNT else amount
            history.append(PeriodResult(span, span_label(span, objective.period), achieved))
        results.append(Situation(objective, history[-1], history))
    return results
