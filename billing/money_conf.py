"""Settings of coupons, promo codes, late-payment statements and rebates, read from
django.conf.settings with validated defaults (STYLE.md 12). Each fails loudly on a bad value.

- BILLING_LEGAL_INTEREST_RATE: the French legal interest rate, percent a year (Decimal or str,
  default "3.71"); late-payment penalties are three times it (art. L441-10 of the Commercial Code).
- BILLING_REBATE_TIERS: the rebate rate by quarterly volume, a list of (threshold EUR excl. VAT,
  percent), thresholds ascending from 0; default [(0, 0), (1000, 3), (5000, 5), (20000, 8)].
- BILLING_COUPON_VALIDITY_DAYS: how long a deposit coupon stays usable (default 365; 0: forever).
- BILLING_PROMO_CODE_VALIDITY_DAYS: how long a promo code is valid, in days (default None: one
  calendar year from its issue, ACCT-5).
- BILLING_PROMO_EXPIRY_WARNING_DAYS: the home page warns this many days before a code expires (30).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_REBATE_TIERS = [(0, 0), (1000, 3), (5000, 5), (20000, 8)]
# Penalties are "three times the legal interest rate" (art. L441-10, I of the Commercial Code).
PENALTY_MULTIPLIER = 3


def _decimal(name: str, value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, not {value!r}.") from None
    if not number.is_finite() or number < 0:
        raise ImproperlyConfigured(f"{name} must be a positive number, not {value!r}.")
    return number


def _days(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of days (0 or more).")
    return value


def legal_interest_rate() -> Decimal:
    """The legal interest rate in percent a year."""
    rate = _decimal("BILLING_LEGAL_INTEREST_RATE", getattr(settings, "BILLING_LEGAL_INTEREST_RATE", "3.71"))
    if rate >= 100:
        raise ImproperlyConfigured("BILLING_LEGAL_INTEREST_RATE is a percentage below 100.")
    return rate.quantize(Decimal("0.01"))


def rebate_tiers() -> list[tuple[Decimal, Decimal]]:
    """[(threshold, percent)], thresholds strictly ascending from 0, percents from 0 to 100."""
    raw = getattr(settings, "BILLING_REBATE_TIERS", DEFAULT_REBATE_TIERS)
    try:
        tiers = [
            (_decimal("BILLING_REBATE_TIERS", threshold), _decimal("BILLING_REBATE_TIERS", percent))
            for threshold, percent in raw
        ]
    except (TypeError, ValueError):
        raise ImproperlyConfigured("BILLING_REBATE_TIERS is a list of (threshold, percent) pairs.") from None
    if not tiers or tiers[0][0] != 0:
        raise ImproperlyConfigured("BILLING_REBATE_TIERS must start at a threshold of 0.")
    if any(later[0] <= earlier[0] for earlier, later in zip(tiers, tiers[1:], strict=False)):
        raise ImproperlyConfigured("BILLING_REBATE_TIERS thresholds must be strictly ascending.")
    if any(percent > 100 for _threshold, percent in tiers):
        raise ImproperlyConfigured("BILLING_REBATE_TIERS percents are at most 100.")
    return tiers


def coupon_validity_days() -> int:
    return _days("BILLING_COUPON_VALIDITY_DAYS", 365)


def promo_code_validity_days() -> int | None:
    if getattr(settings, "BILLING_PROMO_CODE_VALIDITY_DAYS", None) is None:
        return None
    days = _days("BILLING_PROMO_CODE_VALIDITY_DAYS", 0)
    if days == 0:
        raise ImproperlyConfigured("BILLING_PROMO_CODE_VALIDITY_DAYS must be at least 1.")
    return days


def promo_expiry_warning_days() -> int:
    return _days("BILLING_PROMO_EXPIRY_WARNING_DAYS", 30)
