"""Deposit coupons (ACCT-4): issued after a cancellation or a double payment, used to pay all or
part of a later order, or refunded on request.

Amounts include VAT: a coupon is money the customer already paid. Using a coupon closes it
("used", with the order it paid and the amount applied); whatever it held beyond the amount due
becomes a new coupon, the remainder, with the same origin and validity. Every change runs in a
transaction under the coupon's row lock and re-checks its state there (STYLE.md 5): two orders
using one coupon at once get one success and one refusal; repeating a call that succeeded returns
what it did the first time. Callers run inside the account's scope (or scopes_disabled for jobs).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from .. import money_conf
from ..models import Coupon, CouponState, Document
from .ledger import lock_account
from .notify import mail_staff
from .numbering import next_number

# Numbering series of coupons: CA2026-000001 ("coupon d'acompte").
COUPON_SERIES = "CA"
CENT = Decimal("0.01")


class CouponError(ValueError):
    """A coupon that cannot be issued, used or refunded as asked; the message is for the user."""


def to_amount(value: Any, *, what: Any = None, error: type[ValueError] = CouponError) -> Decimal:
    """A positive amount in euros, to the cent; raises `error` with a message for the user."""
    what = what or _("An amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise error(_("%(what)s must be a number.") % {"what": what}) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise error(_("%(what)s must be positive, to the cent.") % {"what": what})
    return amount.quantize(CENT)


def clean_reference(reference: str, *, error: type[ValueError] = CouponError) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise error(_("A reference (the order or document) is required."))
    if len(reference) > 60:
        raise error(_("A reference has at most 60 characters."))
    return reference


def _default_expiry(today: datetime.date) -> datetime.date | None:
    days = money_conf.coupon_validity_days()
    return today + datetime.timedelta(days=days) if days else None


def _create(
    account: Account,
    amount: Decimal,
    *,
    origin_reference: str,
    note: str,
    parent: Coupon | None,
    expires_on: datetime.date | None,
    by: User | None,
) -> Coupon:
    """Number and save a coupon, inside the caller's transaction (the number stays gapless)."""
    today = timezone.localdate()
    number = next_number(COUPON_SERIES, today.year)
    return Coupon.objects.create(
        account=account,
        number=Document.format_number(COUPON_SERIES, today.year, number),
        amount=amount,
        origin_reference=origin_reference,
        origin_note=note[:200],
        parent=parent,
        expires_on=expires_on,
        created_by=by,
    )


def issue_coupon(
    account: Account,
    amount: Any,
    *,
    origin_reference: str,
    by: User | None = None,
    note: str = "",
    expires_on: datetime.date | None = None,
) -> Coupon:
    """ACCT-4, LIFE-6: a deposit coupon of `amount` (EUR incl. VAT) for money received on
    `origin_reference` (a cancelled order, a double payment). Idempotent: one coupon per origin; the
    same call again returns it, a different amount for the same origin is refused.

    `expires_on` defaults to today + BILLING_COUPON_VALIDITY_DAYS (none when that is 0).
    """
    amount = to_amount(amount)
    origin_reference = clean_reference(origin_reference)
    with transaction.atomic():
        lock_account(account)  # serialises two issues for one origin
        existing = Coupon.objects.filter(
            account=account, origin_reference=origin_reference, parent__isnull=True
        ).first()
        if existing is not None:
            if existing.amount != amount:
                raise CouponError(
                    _("A coupon of %(amount)s EUR was already issued for %(reference)s.")
                    % {"amount": existing.amount, "reference": origin_reference}
                )
            return existing
        expiry = expires_on if expires_on is not None else _default_expiry(timezone.localdate())
        coupon = _create(
            account,
            amount,
            origin_reference=origin_reference,
            note=note,
            parent=None,
            expires_on=expiry,
            by=by,
        )
        log_action(
            "coupon.issued",
            account=account,
            user=by,
            obj=coupon,
            number=coupon.number,
            amount=str(amount),
            origin=origin_reference,
            note=note,
        )
    return coupon


def usable_coupons(account: Account, today: datetime.date | None = None) -> QuerySet[Coupon]:
    """ORD-9: the account's coupons that can pay an order today, oldest expiry first."""
    today = today or timezone.localdate()
    return (
        Coupon.objects.filter(account=account, state=CouponState.VALID)
        .exclude(expires_on__lt=today)
        .order_by("expires_on", "created_at", "id")
    )


def apply_coupon(
    coupon: Coupon, amount_due: Any, *, reference: str, by: User | None = None
) -> tuple[Decimal, Coupon | None]:
    """ACCT-4, ORD-9: pay up to `amount_due` (EUR incl. VAT) of order `reference` with `coupon`.

    Returns (amount applied, remainder coupon or None). The coupon becomes "used"; what it held
    beyond the amount due becomes a new coupon. Idempotent for the same reference; refused for a
    coupon already used elsewhere, being refunded, refunded or expired, or of another account.
    """
    amount_due = to_amount(amount_due, what=_("The amount due"))
    reference = clean_reference(reference)
    today = timezone.localdate()
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if by is not None and by.account_id is not None and by.account_id != coupon.account_id:
            raise CouponError(_("This coupon does not belong to your account."))
        if coupon.state == CouponState.USED and coupon.used_reference == reference:
            assert coupon.applied_amount is not None  # set with the USED state
            return coupon.applied_amount, coupon.remainders.first()
        _check_usable(coupon, today)
        applied = min(coupon.amount, amount_due)
        coupon.state = CouponState.USED
        coupon.used_reference = reference
        coupon.applied_amount = applied
        coupon.used_at = timezone.now()
        coupon.save(update_fields=["state", "used_reference", "applied_amount", "used_at"])
        remainder = None
        if coupon.amount > applied:
            remainder = _create(
                coupon.account,
                coupon.amount - applied,
                origin_reference=coupon.origin_reference,
                note=coupon.origin_note,
                parent=coupon,
                expires_on=coupon.expires_on,
                by=by,
            )
        log_action(
            "coupon.used",
            account=coupon.account,
            user=by,
            obj=coupon,
            number=coupon.number,
            reference=reference,
            applied=str(applied),
            remainder=remainder.number if remainder else "",
            remainder_amount=str(remainder.amount) if remainder else "",
        )
    return applied, remainder


def _check_usable(coupon: Coupon, today: datetime.date) -> None:
    if coupon.state == CouponState.USED:
        raise CouponError(
            _("Coupon %(number)s was already used for %(reference)s.")
            % {"number": coupon.number, "reference": coupon.used_reference}
        )
    if coupon.state in (CouponState.BEING_REFUNDED, CouponState.REFUNDED):
        raise CouponError(
            _("Coupon %(number)s is refunded or being refunded; it cannot pay an order.")
            % {"number": coupon.number}
        )
    if coupon.state == CouponState.EXPIRED or (coupon.expires_on and coupon.expires_on < today):
        raise CouponError(_("Coupon %(number)s has expired.") % {"number": coupon.number})


def request_refund(coupon: Coupon, by: User | None, *, request: HttpRequest | None = None) -> Coupon:
    """ACCT-4: the customer asks for a valid coupon to be refunded; staff are emailed. Idempotent."""
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if coupon.state == CouponState.BEING_REFUNDED:
            return coupon
        _check_usable(coupon, timezone.localdate())
        coupon.state = CouponState.BEING_REFUNDED
        coupon.refund_requested_at = timezone.now()
        coupon.save(update_fields=["state", "refund_requested_at"])
        log_action(
            "coupon.refund_requested",
            account=coupon.account,
            user=by,
            obj=coupon,
            request=request,
            number=coupon.number,
            amount=str(coupon.amount),
        )
        _notify_staff_of_refund(coupon, by)
    return coupon


def _notify_staff_of_refund(coupon: Coupon, by: User | None) -> None:
    admin_url = settings.SITE_URL + reverse("admin:billing_coupon_change", args=[coupon.pk])

    def context(language: str) -> dict:
        with translation.override(language):
            return {
                "account_name": coupon.account.name,
                "number": coupon.number,
                "amount": str(coupon.amount),
                "origin": coupon.origin_reference,
                "requested_by": by.get_full_name() if by else "",
                "admin_url": admin_url,
            }

    mail_staff("coupon_refund_request", context)


def mark_refunded(coupon: Coupon, by: User | None, *, refund_reference: str = "") -> Coupon:
    """ACCT-4 (staff): the refund of a coupon being refunded was paid. Idempotent."""
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if coupon.state == CouponState.REFUNDED:
            return coupon
        if coupon.state != CouponState.BEING_REFUNDED:
            raise CouponError(_("Only a coupon whose refund was requested can be marked refunded."))
        coupon.state = CouponState.REFUNDED
        coupon.refunded_at = timezone.now()
        coupon.refund_reference = refund_reference[:100]
        coupon.save(update_fields=["state", "refunded_at", "refund_reference"])
        log_action(
            "coupon.refunded",
            account=coupon.account,
            user=by,
            obj=coupon,
            number=coupon.number,
            amount=str(coupon.amount),
            refund_reference=coupon.refund_reference,
        )
    return coupon


def expire_coupons(today: datetime.date | None = None) -> int:
    """JOBS-7: valid coupons past their validity become expired; returns how many.

    Across every account: the caller runs it under scopes_disabled(). Each coupon is re-checked
    under its lock, so a second run (or a second worker) changes nothing.
    """
    today = today or timezone.localdate()
    expired = 0
    for pk in Coupon.objects.filter(state=CouponState.VALID, expires_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            coupon = Coupon.objects.select_for_update().get(pk=pk)
            if coupon.state != CouponState.VALID or not coupon.expires_on or coupon.expires_on >= today:
                continue
            coupon.state = CouponState.EXPIRED
            coupon.save(update_fields=["state"])
            log_action(
                "coupon.expired",
                account=coupon.account,
                obj=coupon,
                number=coupon.number,
                amount=str(coupon.amount),
                expires_on=coupon.expires_on.isoformat(),
            )
            expired += 1
    return expired


@dataclass(frozen=True)
class HomeCoupon:
    number: str
    amount: Decimal
    expires_on: datetime.date | None


def coupons_for_home(account: Account, today: datetime.date | None = None) -> list[HomeCoupon]:
    """NAV-3: the account's usable coupons for the home page (one query)."""
    return [HomeCoupon(c.number, c.amount, c.expires_on) for c in usable_coupons(account, today)]
