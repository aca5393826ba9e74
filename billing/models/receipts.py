"""Money received for an invoice (ACCT-3, ORD-9): a bank transfer, a cheque or a card payment.

Receipts are append-only like the ledgers (LEDG-2): a receipt is never changed nor deleted. What an
invoice still awaits is its total, less its credit notes, the deposit coupons applied to it and its
receipts (billing.services.receipts.amount_due); the invoice becomes paid when that reaches zero, so
a partial payment leaves the rest due. A card payment carries the provider's transaction id, unique,
so a notification replayed by the provider books nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account

from .base import AppendOnlyError, AppendOnlyManager
from .documents import Document


class ReceiptMethod(models.TextChoices):
    """How the money came (the cash means of ORD-9)."""

    TRANSFER = "transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card")


class Receipt(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account")
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("invoice")
    )
    method = models.CharField(_("payment method"), max_length=20, choices=ReceiptMethod.choices)
    amount = models.DecimalField(_("amount received (EUR)"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(
        _("payment reference"),
        max_length=100,
        blank=True,
        help_text=_("The bank's transfer reference, the cheque number or the card transaction."),
    )
    provider_transaction = models.CharField(_("provider transaction"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedManager(account="account", _manager_class=AppendOnlyManager)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.UniqueConstraint(
                fields=["provider_transaction"],
                condition=~Q(provider_transaction=""),
                name="receipt_once_per_provider_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} EUR ({self.get_method_display()} {self.reference})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("A receipt cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("A receipt cannot be deleted."))
