"""Scheduled billing work (JOBS-7, PLAT-2: every job idempotent, a second run does nothing twice).

Each job runs across every account, so each opens `scopes_disabled()` explicitly: the work is a
property of dates (a month ended, an invoice fell due, a code expired), not of one tenant. Every
task takes an optional ISO date, `today`, so a missed day can be replayed by hand.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled

from jobs.recorder import recorded_job

from .services.alerts import send_low_balance_alerts
from .services.coupons import expire_coupons
from .services.documents import expire_quotes
from .services.late_payment import create_late_payment_statements
from .services.monthly import issue_monthly_invoices
from .services.promos import expire_promo_codes
from .services.rebates import compute_quarterly_rebates


def _day(today: str | None) -> datetime.date:
    return datetime.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(name="billing.tasks.monthly_invoices")
@recorded_job("JOBS-7 monthly invoices")
def monthly_invoices(today: str | None = None) -> int:
    """LEDG-1 Monthly payment: last month's invoice of each account (on the 1st); returns how many."""
    with scopes_disabled():
        return len(issue_monthly_invoices(_day(today)))


@shared_task(name="billing.tasks.quarterly_rebates")
@recorded_job("JOBS-7 quarterly rebates")
def quarterly_rebates(today: str | None = None) -> int:
    """LEDG-1 Rebate: the last closed quarter's rebates, once; older ones lapse. Runs daily."""
    with scopes_disabled():
        return compute_quarterly_rebates(_day(today))


@shared_task(name="billing.tasks.late_payment_statements")
@recorded_job("JOBS-7 late-payment statements")
def late_payment_statements(today: str | None = None) -> int:
    """ACCT-6: a statement for each newly overdue invoice; returns how many."""
    with scopes_disabled():
        return create_late_payment_statements(_day(today))


@shared_task(name="billing.tasks.expire_coupons_and_promo_codes")
@recorded_job("JOBS-7 coupon and promo code expiry")
def expire_coupons_and_promo_codes(today: str | None = None) -> dict[str, int]:
    """ACCT-4, ACCT-5: coupons and promo codes past their validity expire."""
    day = _day(today)
    with scopes_disabled():
        return {"coupons": expire_coupons(day), "promo_codes": expire_promo_codes(day)}


@shared_task(name="billing.tasks.low_balance_alerts")
@recorded_job("JOBS-7 low-balance alerts")
def low_balance_alerts() -> int:
    """ADM-5: email each account whose balance newly fell to its alert threshold."""
    with scopes_disabled():
        return send_low_balance_alerts()


@shared_task(name="billing.tasks.expire_open_quotes")
@recorded_job("JOBS-8 quote expiry")
def expire_open_quotes(today: str | None = None) -> int:
    """JOBS-8 / ACCT-2: open quotes past their validity become expired; returns how many."""
    with scopes_disabled():
        return expire_quotes(_day(today))
