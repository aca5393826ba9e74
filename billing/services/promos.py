"""Promo codes (ACCT-5): given to one account, used once, never split, valid one year.

Two kinds (billing/models/coupons.py): a fixed amount excluding VAT, or a percentage; both apply
to the order's total excluding VAT, before VAT. A fixed amount above that total gives the total
and the rest is lost (a code is not split). Redeeming runs under the code's row lock and
re-checks everything there: a code used by two orders at once serves one; the same order asking
again gets the same discount. Callers run inside the account's scope (or scopes_disabled).
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from .. import money_conf
from ..models import PromoCode, PromoKind, PromoOrigin, PromoState
from .coupons import CENT, clean_reference, to_amount

# No 0/O, 1/I/L: a code is read and typed by people.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class PromoCodeError(ValueError):
    """A promo code that cannot be issued or used as asked; the message is for the user."""


def normalise_code(code: str) -> str:
    """What the user typed, as stored: upper case, no spaces."""
    return "".join((code or "").split()).upper()


def _new_code() -> str:
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _i in range(4)) for _g in range(3)]
    return "PR-" + "-".join(groups)


def one_year_after(day: datetime.date) -> datetime.date:
    """The same day a year later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def valid_until_for(issue_date: datetime.date) -> datetime.date:
    days = money_conf.promo_code_validity_days()
    return issue_date + datetime.timedelta(days=days) if days else one_year_after(issue_date)


def discount_for(promo: PromoCode, amount_due: Decimal) -> Decimal:
    """The discount a code gives on `amount_due` (EUR excl. VAT): never more than it."""
    if promo.kind == PromoKind.PERCENT:
        discount = (amount_due * promo.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        discount = promo.value
    return min(discount, amount_due)


def issue_promo_code(
    account: Account,
    value: Any,
    *,
    origin: str,
    kind: str = PromoKind.AMOUNT,
    by: User | None = None,
    note: str = "",
    issue_date: datetime.date | None = None,
) -> PromoCode:
    """ACCT-5: a new promo code for `account`: `value` EUR excl. VAT (kind AMOUNT) or percent (kind
    PERCENT, at most 100), valid one year from its issue. `origin` is a PromoOrigin.

    Runs in the caller's transaction when there is one (a rebate recovery issues the code and marks
    the rebates together).
    """
    if kind not in PromoKind.values:
        raise PromoCodeError(_("Unknown kind of promo code."))
    if origin not in PromoOrigin.values:
        raise PromoCodeError(_("Unknown origin of promo code."))
    value = to_amount(value, what=_("The value"), error=PromoCodeError)
    if kind == PromoKind.PERCENT and value > 100:
        raise PromoCodeError(_("A percentage is at most 100."))
    issue_date = issue_date or timezone.localdate()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                promo = PromoCode.objects.create(
                    account=account,
                    code=_new_code(),
                    kind=kind,
                    value=value,
                    origin=origin,
                    note=note[:200],
                    valid_until=valid_until_for(issue_date),
                    created_by=by,
                )
                log_action(
                    "promo_code.issued",
                    account=account,
                    user=by,
                    obj=promo,
                    code=promo.code,
                    kind=kind,
                    value=str(value),
                    origin=origin,
                    valid_until=promo.valid_until.isoformat(),
                    note=note,
                )
                return promo
        except IntegrityError:  # a code already taken (1 in 31^12): draw another
            continue
    raise PromoCodeError(_("No free promo code could be drawn; try again."))


def _unusable_reason(promo: PromoCode, today: datetime.date) -> str | None:
    if promo.state == PromoState.USED:
        return _("Promo code %(code)s was already used.") % {"code": promo.code}
    if promo.state == PromoState.CANCELLED:
        return _("Promo code %(code)s was cancelled.") % {"code": promo.code}
    if promo.state == PromoState.EXPIRED or promo.valid_until < today:
        return _("Promo code %(code)s expired on %(date)s.") % {
            "code": promo.code,
            "date": formats.date_format(promo.valid_until, "DATE_FORMAT"),
        }
    return None


def _find(account: Account, code: str, *, lock: bool) -> PromoCode:
    normalised = normalise_code(code)
    if not normalised:
        raise PromoCodeError(_("Enter a promo code."))
    codes = PromoCode.objects.select_for_update() if lock else PromoCode.objects.all()
    # Another account's code is unknown here: the same message, no hint that it exists.
    promo = codes.filter(account=account, code=normalised).first()
    if promo is None:
        raise PromoCodeError(_("This promo code is not valid for your account."))
    return promo


def check_promo_code(account: Account, code: str, *, amount_due: Any) -> tuple[PromoCode, Decimal]:
    """ORD-9 review page: the code and the discount it would give on `amount_due` (EUR excl. VAT),
    without using it; raises PromoCodeError with the reason it cannot be used."""
    amount_due = to_amount(amount_due, what=_("The amount due"), error=PromoCodeError)
    promo = _find(account, code, lock=False)
    reason = _unusable_reason(promo, timezone.localdate())
    if reason:
        raise PromoCodeError(reason)
    return promo, discount_for(promo, amount_due)


def redeem_promo_code(
    account: Account, code: str, *, amount_due: Any, reference: str, by: User | None = None
) -> Decimal:
    """ACCT-5, ORD-9: use `code` on order `reference`; returns the discount (EUR excl. VAT).

    Refused (PromoCodeError) when the code is not the account's, used, expired or cancelled.
    Idempotent for the same reference.
    """
    amount_due = to_amount(amount_due, what=_("The amount due"), error=PromoCodeError)
    reference = clean_reference(reference, error=PromoCodeError)
    with transaction.atomic():
        promo = _find(account, code, lock=True)
        if promo.state == PromoState.USED and promo.used_reference == reference:
            assert promo.discount is not None  # set with the USED state
            return promo.discount
        reason = _unusable_reason(promo, timezone.localdate())
        if reason:
            raise PromoCodeError(reason)
        discount = discount_for(promo, amount_due)
        promo.state = PromoState.USED
        promo.used_reference = reference
        promo.used_at = timezone.now()
        promo.discount = discount
        promo.save(update_fields=["state", "used_reference", "used_at", "discount"])
        log_action(
            "promo_code.used",
            account=account,
            user=by,
            obj=promo,
            code=promo.code,
            reference=reference,
            discount=str(discount),
            amount_due=str(amount_due),
        )
    return discount


def cancel_promo_code(promo: PromoCode, by: User | None) -> PromoCode:
    """ACCT-5 (staff): withdraw a valid code. Idempotent; a used code cannot be cancelled."""
    with transaction.atomic():
        promo = PromoCode.objects.select_for_update().get(pk=promo.pk)
        if promo.state == PromoState.CANCELLED:
            return promo
        if promo.state != PromoState.VALID:
            raise PromoCodeError(_("Only a valid promo code can be cancelled."))
        promo.state = PromoState.CANCELLED
        promo.cancelled_at = timezone.now()
        promo.save(update_fields=["state", "cancelled_at"])
        log_action("promo_code.cancelled", account=promo.account, user=by, obj=promo, code=promo.code)
    return promo


def expire_promo_codes(today: datetime.date | None = None) -> int:
    """JOBS-7: valid codes past their validity become expired; returns how many.

    Across every account: the caller runs it under scopes_disabled(). Each code is re-checked
    under its lock, so a second run changes nothing.
    """
    today = today or timezone.localdate()
    expired = 0
    for pk in PromoCode.objects.filter(state=PromoState.VALID, valid_until__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            promo = PromoCode.objects.select_for_update().get(pk=pk)
            if promo.state != PromoState.VALID or promo.valid_until >= today:
                continue
            promo.state = PromoState.EXPIRED
            promo.save(update_fields=["state"])
            log_action(
                "promo_code.expired",
                account=promo.account,
                obj=promo,
                code=promo.code,
                valid_until=promo.valid_until.isoformat(),
            )
            expired += 1
    return expired


def account_promo_codes(account: Account, state: str = "") -> QuerySet[PromoCode]:
    """ACCT-5: the account's codes, valid ones first, each state filterable."""
    codes = PromoCode.objects.filter(account=account)
    if state:
        codes = codes.filter(state=state)
    return codes.order_by("state", "-created_at", "-id")


@dataclass(frozen=True)
class HomePromoCode:
    code: str
    kind: str
    value: Decimal
    valid_until: datetime.date
    days_left: int
    expiring_soon: bool


def promo_codes_for_home(account: Account, today: datetime.date | None = None) -> list[HomePromoCode]:
    """NAV-3: the account's valid promo codes, soonest expiry first; `expiring_soon` when one expires
    within BILLING_PROMO_EXPIRY_WARNING_DAYS (30) days, for the warning. One query."""
    today = today or timezone.localdate()
    warning = money_conf.promo_expiry_warning_days()
    codes = PromoCode.objects.filter(account=account, state=PromoState.VALID, valid_until__gte=today)
    return [
        HomePromoCode(
            p.code,
            p.kind,
            p.value,
            p.valid_until,
            (p.valid_until - today).days,
            (p.valid_until - today).days <= warning,
        )
        for p in codes.order_by("valid_until", "id")
    ]
