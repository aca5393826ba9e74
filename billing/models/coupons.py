"""Deposit coupons (ACCT-4) and promo codes (ACCT-5).

A deposit coupon is money the customer already paid (a cancelled order, a double payment): it pays
all or part of a later order, amounts including VAT. Used partly, it is closed ("used") and a new
coupon holds the remainder, pointing to its parent, so each coupon is used once and its history
stays readable. A coupon can be refunded instead, on request.

A promo code is a discount given to one account (a rebate recovered as a code, a commercial
gesture). It is used once, never split, and is valid one year from its issue. Two kinds:
- AMOUNT: a fixed amount excluding VAT taken off the order's total excluding VAT (at most that
  total: what is left of the code is lost, it cannot be split);
- PERCENT: a percentage of the order's total excluding VAT.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account


def _public_id() -> str:
    return secrets.token_hex(8)


class CouponState(models.TextChoices):
    VALID = "valid", _("Valid")
    USED = "used", _("Used")
    BEING_REFUNDED = "being_refunded", _("Being refunded")
    REFUNDED = "refunded", _("Refunded")
    EXPIRED = "expired", _("Expired")


class Coupon(models.Model):
    """ACCT-4: a deposit coupon. Amounts include VAT (it is money already paid)."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    number = models.CharField(_("number"), max_length=20, unique=True)
    amount = models.DecimalField(_("amount (EUR incl. VAT)"), max_digits=12, decimal_places=2)
    origin_reference = models.CharField(
        _("origin"), max_length=60, help_text=_("The order or document the coupon comes from.")
    )
    origin_note = models.CharField(_("why"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remainders",
        verbose_name=_("remainder of"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=CouponState.choices, default=CouponState.VALID
    )
    used_reference = models.CharField(_("used for"), max_length=60, blank=True)
    applied_amount = models.DecimalField(
        _("amount applied"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    used_at = models.DateTimeField(_("used on"), null=True, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    refund_requested_at = models.DateTimeField(_("refund requested on"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded on"), null=True, blank=True)
    refund_reference = models.CharField(_("refund reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("deposit coupon")
        verbose_name_plural = _("deposit coupons")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="coupon_amount_positive"),
            # A coupon is used once: at most one remainder.
            models.UniqueConstraint(
                fields=["parent"], condition=Q(parent__isnull=False), name="coupon_one_remainder"
            ),
            # One coupon per origin (a retried cancellation issues nothing twice).
            models.UniqueConstraint(
                fields=["account", "origin_reference"],
                condition=Q(parent__isnull=True),
                name="coupon_once_per_origin",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PromoKind(models.TextChoices):
    AMOUNT = "amount", _("Fixed amount excl. VAT")
    PERCENT = "percent", _("Percentage")


class PromoOrigin(models.TextChoices):
    REBATE = "rebate", _("Rebate recovery")
    GESTURE = "gesture", _("Commercial gesture")


class PromoState(models.TextChoices):
    VALID = "valid", _("Valid")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class PromoCode(models.Model):
    """ACCT-5: a single-use promo code of one account, valid one year, never split."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="promo_codes", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PromoKind.choices, default=PromoKind.AMOUNT)
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=2,
        help_text=_("EUR excl. VAT for a fixed amount, percent for a percentage."),
    )
    origin = models.CharField(_("origin"), max_length=20, choices=PromoOrigin.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=PromoState.choices, default=PromoState.VALID)
    valid_until = models.DateField(_("valid until"))
    used_reference = models.CharField(_("used for"), max_length=60, blank=True)
    used_at = models.DateTimeField(_("used on"), null=True, blank=True)
    discount = models.DecimalField(
        _("discount given (EUR excl. VAT)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("promo code")
        verbose_name_plural = _("promo codes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="promo_value_positive"),
            models.CheckConstraint(
                condition=Q(kind="amount") | Q(value__lte=100), name="promo_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code
