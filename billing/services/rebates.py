"""Quarterly rebates of the Rebate formula (LEDG-1, LEDG-2, JOBS-7).

A quarter's rebate is a rate of what the account was invoiced in it, excluding VAT (invoices less
credit notes), the rate set by volume tier (BILLING_REBATE_TIERS: the highest tier whose
threshold the quarter's total reaches). The job computes each closed quarter once per Rebate
account. The customer recovers the rebates of the last four closed quarters, all at once, by
invoicing us (the reference of their invoice is recorded) or as a promo code of the same amount;
older ones lapse. The current quarter is shown as an estimate, never stored.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from .. import money_conf
from ..models import Document, PromoCode, PromoOrigin, Rebate, RebateState
from .accounting import ACCOUNTING_KINDS
from .coupons import CENT
from .ledger import lock_account
from .promos import issue_promo_code

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")
RECOVERABLE_QUARTERS = 4


class RebateError(ValueError):
    """Rebates that cannot be recovered as asked; the message is for the user."""


# Quarters ---------------------------------------------------------------------------------------


def quarter_of(day: datetime.date) -> str:
    """2026-07-14 → "2026-Q3"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[datetime.date, datetime.date]:
    """ "2026-Q3" → (2026-07-01, 2026-09-30)."""
    year, number = int(quarter[:4]), int(quarter[-1])
    start = datetime.date(year, 3 * number - 2, 1)
    next_start = datetime.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, next_start - datetime.timedelta(days=1)


def previous_quarter(quarter: str) -> str:
    start, _end = quarter_bounds(quarter)
    return quarter_of(start - datetime.timedelta(days=1))


def closed_quarters(today: datetime.date, count: int = RECOVERABLE_QUARTERS) -> list[str]:
    """The last `count` closed quarters before `today`'s, most recent first."""
    quarters = [previous_quarter(quarter_of(today))]
    while len(quarters) < count:
        quarters.append(previous_quarter(quarters[-1]))
    return quarters


# Computation ------------------------------------------------------------------------------------


def invoiced_total(account: Account, start: datetime.date, end: datetime.date) -> Decimal:
    """Invoices less credit notes issued in [start, end], excluding VAT (one query)."""
    return Document.objects.filter(
        account=account,
        kind__in=ACCOUNTING_KINDS,
        issue_date__gte=start,
        issue_date__lte=end,
    ).aggregate(total=Coalesce(Sum("total_excl_vat"), ZERO))["total"]


def rate_for(base: Decimal) -> Decimal:
    """The rebate percent of a quarter's total: the highest tier whose threshold it reaches."""
    rate = ZERO
    for threshold, percent in money_conf.rebate_tiers():
        if base >= threshold:
            rate = percent
    return rate


def rebate_amount(base: Decimal, rate: Decimal) -> Decimal:
    if base <= 0:
        return ZERO
    return (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_rebate(account: Account, quarter: str) -> tuple[Rebate, bool]:
    """The stored rebate of one closed quarter, computed the first time: (rebate, created)."""
    start, end = quarter_bounds(quarter)
    with transaction.atomic():
        lock_account(account)
        existing = Rebate.objects.filter(account=account, quarter=quarter).first()
        if existing is not None:
            return existing, False
        base = invoiced_total(account, start, end)
        rate = rate_for(base)
        rebate = Rebate.objects.create(
            account=account, quarter=quarter, base_amount=base, rate=rate, amount=rebate_amount(base, rate)
        )
        log_action(
            "rebate.computed",
            account=account,
            obj=rebate,
            quarter=quarter,
            base=str(base),
            rate=str(rate),
            amount=str(rebate.amount),
        )
    return rebate, True


def lapse_rebates(today: datetime.date) -> int:
    """Available rebates older than the last four closed quarters lapse (LEDG-2), on every account
    (the caller runs it under scopes_disabled())."""
    oldest = closed_quarters(today)[-1]
    lapsed = 0
    # Quarter labels "YYYY-Qn" sort as text in time order.
    for pk in Rebate.objects.filter(state=RebateState.AVAILABLE, quarter__lt=oldest).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            rebate = Rebate.objects.select_for_update().get(pk=pk)
            if rebate.state != RebateState.AVAILABLE:
                continue
            rebate.state = RebateState.LAPSED
            rebate.save(update_fields=["state"])
            log_action(
                "rebate.lapsed",
                account=rebate.account,
                obj=rebate,
                quarter=rebate.quarter,
                amount=str(rebate.amount),
            )
            lapsed += 1
    return lapsed


def compute_quarterly_rebates(today: datetime.date | None = None) -> int:
    """JOBS-7: the last closed quarter's rebate of every active Rebate account, once; older available
    rebates lapse. Returns how many rebates were computed (a second run: 0).

    Across every account: the caller runs it under scopes_disabled(). Safe to run daily.
    """
    today = today or timezone.localdate()
    quarter = previous_quarter(quarter_of(today))
    accounts = list(
        Account.objects.filter(formula=Account.Formula.REBATE, status=Account.Status.ACTIVE).order_by("pk")
    )
    created = 0
    for account in accounts:
        try:
            created += compute_rebate(account, quarter)[1]
        except Exception:  # one account must not stop the others
            logger.exception("Rebate of account %s for %s failed", account.pk, quarter)
    lapse_rebates(today)
    return created


# The customer's view and recovery ---------------------------------------------------------------


@dataclass(frozen=True)
class QuarterRow:
    quarter: str
    start: datetime.date
    end: datetime.date
    base_amount: Decimal | None
    rate: Decimal | None
    amount: Decimal | None
    state: str  # a RebateState, "current", "pending" (just closed, not computed yet) or "none"
    state_label: str
    recovery_reference: str = ""


@dataclass(frozen=True)
class RebateOverview:
    current: QuarterRow
    closed: list[QuarterRow]
    recoverable: Decimal
    recovered: list[Rebate]


def overview(account: Account, today: datetime.date | None = None) -> RebateOverview:
    """LEDG-2: the current quarter (estimate), the last four closed quarters and what can be
    recovered now, and the rebates already recovered (three queries)."""
    today = today or timezone.localdate()
    quarters = closed_quarters(today)
    stored = {r.quarter: r for r in Rebate.objects.filter(account=account, quarter__in=quarters)}
    closed = []
    for index, quarter in enumerate(quarters):
        start, end = quarter_bounds(quarter)
        rebate = stored.get(quarter)
        if rebate is None and index == 0:  # the job computes the quarter just closed
            closed.append(
                QuarterRow(quarter, start, end, None, None, None, "pending", str(_("Being computed")))
            )
        elif rebate is None:  # before the account had the Rebate formula
            closed.append(QuarterRow(quarter, start, end, None, None, None, "none", str(_("No rebate"))))
        else:
            closed.append(
                QuarterRow(
                    quarter,
                    start,
                    end,
                    rebate.base_amount,
                    rebate.rate,
                    rebate.amount,
                    rebate.state,
                    str(rebate.get_state_display()),
                    rebate.recovery_reference,
                )
            )
    current_quarter = quarter_of(today)
    start, end = quarter_bounds(current_quarter)
    base = invoiced_total(account, start, today)
    rate = rate_for(base)
    current = QuarterRow(
        current_quarter,
        start,
        end,
        base,
        rate,
        rebate_amount(base, rate),
        "current",
        str(_("Current quarter (estimate)")),
    )
    recoverable = sum(
        (row.amount for row in closed if row.state == RebateState.AVAILABLE and row.amount is not None), ZERO
    )
    recovered = list(
        Rebate.objects.filter(
            account=account, state__in=(RebateState.RECOVERED_INVOICE, RebateState.RECOVERED_PROMO)
        )
        .select_related("promo_code")
        .order_by("-recovered_at", "-quarter")
    )
    return RebateOverview(current, closed, recoverable, recovered)


def _recoverable(account: Account, today: datetime.date) -> list[Rebate]:
    rebates = list(
        Rebate.objects.select_for_update()
        .filter(
            account=account, state=RebateState.AVAILABLE, quarter__in=closed_quarters(today), amount__gt=0
        )
        .order_by("quarter")
    )
    if not rebates:
        raise RebateError(_("You have no rebate to recover."))
    return rebates


def _mark(
    rebates: list[Rebate], state: str, reference: str, by: User | None, promo: PromoCode | None = None
) -> None:
    now = timezone.now()
    for rebate in rebates:
        rebate.state = state
        rebate.recovery_reference = reference
        rebate.recovered_at = now
        rebate.recovered_by = by
        rebate.promo_code = promo
        rebate.save(
            update_fields=["state", "recovery_reference", "recovered_at", "recovered_by", "promo_code"]
        )


def recover_as_promo_code(
    account: Account,
    by: User | None,
    *,
    today: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> PromoCode:
    """LEDG-2: every recoverable rebate becomes one promo code of their total (EUR excl. VAT)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        lock_account(account)
        rebates = _recoverable(account, today)
        total = sum((r.amount for r in rebates), ZERO)
        quarters = ", ".join(r.quarter for r in rebates)
        promo = issue_promo_code(
            account,
            total,
            origin=PromoOrigin.REBATE,
            by=by,
            note=str(_("Rebates %(quarters)s") % {"quarters": quarters}),
        )
        _mark(rebates, RebateState.RECOVERED_PROMO, promo.code, by, promo)
        log_action(
            "rebate.recovered",
            account=account,
            user=by,
            obj=promo,
            request=request,
            how="promo_code",
            quarters=quarters,
            amount=str(total),
            code=promo.code,
        )
    return promo


def recover_by_invoice(
    account: Account,
    by: User | None,
    *,
    reference: str,
    today: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Decimal:
    """LEDG-2: the customer invoices us the recoverable rebates; `reference` is their invoice's
    number. Returns the total to invoice (EUR excl. VAT)."""
    reference = (reference or "").strip()
    if not reference:
        raise RebateError(_("Enter the number of your invoice."))
    if len(reference) > 60:
        raise RebateError(_("An invoice number has at most 60 characters."))
    today = today or timezone.localdate()
    with transaction.atomic():
        lock_account(account)
        rebates = _recoverable(account, today)
        total = sum((r.amount for r in rebates), ZERO)
        _mark(rebates, RebateState.RECOVERED_INVOICE, reference, by)
        log_action(
            "rebate.recovered",
            account=account,
            user=by,
            obj=rebates[0],
            request=request,
            how="invoice",
            quarters=", ".join(r.quarter for r in rebates),
            amount=str(total),
            invoice=reference,
        )
    return total
