"""What the scheduled billing jobs keep (JOBS-7): the charges waiting for the monthly invoice
(LEDG-1 Monthly payment), the quarterly rebates (LEDG-1 Rebate, LEDG-2) and the last low-balance
alert sent to each account (ADM-5), so that each job does its work once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account

from .coupons import PromoCode
from .documents import Document


class PendingCharge(models.Model):
    """LEDG-1 Monthly payment: an order to put on next month's invoice (amount excl. VAT).

    The orders side registers it (billing knows no order); the job of the 1st invoices the month's
    charges of each account once. A charge withdrawn before it is invoiced (a cancelled order) is
    kept, marked, and never invoiced.
    """

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="pending_charges", verbose_name=_("account")
    )
    reference = models.CharField(_("reference"), max_length=60)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount excl. VAT"), max_digits=12, decimal_places=2)
    date = models.DateField(_("date"))
    invoiced_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("invoice")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("pending charge")
        verbose_name_plural = _("pending charges")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["account", "date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference"], name="pending_charge_once_per_reference"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pending_charge_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.amount} EUR)"


class RebateState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    RECOVERED_INVOICE = "recovered_invoice", _("Recovered by invoice")
    RECOVERED_PROMO = "recovered_promo", _("Recovered as a promo code")
    LAPSED = "lapsed", _("Lapsed")


class Rebate(models.Model):
    """LEDG-1 Rebate: a quarter's rebate, a rate of the quarter's invoiced total excl. VAT."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="rebates", verbose_name=_("account")
    )
    quarter = models.CharField(_("quarter"), max_length=7, help_text=_("As 2026-Q3."))
    base_amount = models.DecimalField(_("invoiced excl. VAT"), max_digits=12, decimal_places=2)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("rebate"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=20, choices=RebateState.choices, default=RebateState.AVAILABLE
    )
    recovery_reference = models.CharField(_("recovery reference"), max_length=60, blank=True)
    promo_code = models.ForeignKey(
        PromoCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rebates",
        verbose_name=_("promo code"),
    )
    recovered_at = models.DateTimeField(_("recovered on"), null=True, blank=True)
    recovered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recovered by"),
    )
    created_at = models.DateTimeField(_("computed on"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("rebate")
        verbose_name_plural = _("rebates")
        ordering = ["-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["account", "quarter"], name="one_rebate_per_quarter"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rebate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quarter}: {self.amount} EUR"


class BalanceAlert(models.Model):
    """ADM-5: what the last low-balance check found, so one crossing sends one email.

    `euro_low` for a current account; `low_products`, the product codes at or below the threshold,
    for a bulk purchase account. Back above the threshold, the state resets and the next crossing
    alerts again.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="balance_alert", verbose_name=_("account")
    )
    euro_low = models.BooleanField(_("euro balance low"), default=False)
    low_products = models.JSONField(_("products low in tokens"), default=list, blank=True)
    last_alert_at = models.DateTimeField(_("last alert"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("low-balance alert state")
        verbose_name_plural = _("low-balance alert states")

    def __str__(self) -> str:
        return str(self.account)
