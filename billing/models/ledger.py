"""The account's billing profile and its two ledgers, tokens and euros (LEDG-1, LEDG-2).

Ledgers are append-only: a movement is never changed nor deleted, a mistake is corrected by an
adjustment movement, and a balance is always the sum of the movements (no stored balance to
drift). Debits are serialised per account by locking the account's `BillingProfile` row.

Movement kinds and their sign (a database constraint enforces it):
- TOP_UP (+): tokens or euros credited by a top-up (LEDG-4);
- REFUND (+): given back after a cancellation;
- CONSUMPTION (−): a token used by an order (bulk purchase, rebate formulas);
- PURCHASE (−): an order paid from the euro balance (current account formula);
- ADJUSTMENT (±): a staff correction.
A reference (order or top-up) is booked at most once per kind (and product): a repeated call
returns the first movement instead of moving the balance twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account
from catalog.models import Product

from .base import AppendOnlyError, AppendOnlyManager


class PaymentMode(models.TextChoices):
    """ORD-9: the ways an order or a top-up is paid."""

    CARD = "card", _("Card")
    CHEQUE = "cheque", _("Cheque")
    TRANSFER = "transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit (SEPA)")
    PURCHASE_ORDER = "purchase_order", _("Deferred payment by purchase order")
    BALANCE = "balance", _("Account balance (tokens or euros)")


class BillingProfile(models.Model):
    """One row per account: its billing settings, and the row locked to serialise its debits."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="billing_profile")
    payment_term_days = models.PositiveSmallIntegerField(
        _("payment term (days)"),
        null=True,
        blank=True,
        help_text=_("Days between an invoice and its due date; empty for the portal's default."),
    )
    default_payment_mode = models.CharField(
        _("default payment mode"), max_length=20, choices=PaymentMode.choices, default=PaymentMode.CARD
    )
    alert_threshold = models.DecimalField(
        _("low balance alert threshold (EUR)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("The euro balance is shown as low at or below this amount."),
    )
    late_payment_block = models.BooleanField(
        _("cash payment only (late payment)"),
        default=False,
        help_text=_("Set while a late-payment statement is unpaid: orders must be paid by card or transfer."),
    )
    # ADM-5, ORD-2: the default billing address when it differs from the head office (the account
    # holder's); empty fields: invoices show the holder's address. An order may give its own.
    billing_name = models.CharField(_("billed entity"), max_length=200, blank=True)
    billing_address = models.CharField(_("billing address"), max_length=250, blank=True)
    billing_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    billing_city = models.CharField(_("city"), max_length=100, blank=True)
    billing_country = models.CharField(_("country"), max_length=2, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self) -> str:
        return str(self.account)


class MovementKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    REFUND = "refund", _("Refund")
    CONSUMPTION = "consumption", _("Consumption")
    PURCHASE = "purchase", _("Purchase")
    ADJUSTMENT = "adjustment", _("Adjustment")


CREDIT_KINDS = (MovementKind.TOP_UP, MovementKind.REFUND)
DEBIT_KINDS = (MovementKind.CONSUMPTION, MovementKind.PURCHASE)


def _sign_rule(field: str) -> Q:
    return (
        (Q(kind__in=CREDIT_KINDS) & Q(**{f"{field}__gt": 0}))
        | (Q(kind__in=DEBIT_KINDS) & Q(**{f"{field}__lt": 0}))
        | (Q(kind=MovementKind.ADJUSTMENT) & ~Q(**{field: 0}))
    )


_ONCE = ~Q(kind=MovementKind.ADJUSTMENT) & ~Q(reference="")


class Movement(models.Model):
    """Fields and guards shared by both ledgers."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    reference = models.CharField(
        _("reference"), max_length=60, blank=True, help_text=_("The order or top-up this movement is for.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    document = models.ForeignKey(
        "billing.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    objects = ScopedManager(account="account", _manager_class=AppendOnlyManager)

    class Meta:
        abstract = True
        ordering = ["-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("A ledger movement cannot be changed; book an adjustment instead."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("A ledger movement cannot be deleted; book an adjustment instead."))


class TokenMovement(Movement):
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    quantity = models.IntegerField(_("tokens"))

    class Meta(Movement.Meta):
        verbose_name = _("token movement")
        verbose_name_plural = _("token movements")
        indexes = [models.Index(fields=["account", "product"])]
        constraints = [
            models.CheckConstraint(condition=_sign_rule("quantity"), name="token_movement_sign"),
            models.UniqueConstraint(
                fields=["account", "product", "kind", "reference"],
                condition=_ONCE,
                name="token_movement_once_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity:+d} × {self.product_id} ({self.get_kind_display()} {self.reference})"


class EuroMovement(Movement):
    amount = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)

    class Meta(Movement.Meta):
        verbose_name = _("euro movement")
        verbose_name_plural = _("euro movements")
        constraints = [
            models.CheckConstraint(condition=_sign_rule("amount"), name="euro_movement_sign"),
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=_ONCE,
                name="euro_movement_once_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+} EUR ({self.get_kind_display()} {self.reference})"
