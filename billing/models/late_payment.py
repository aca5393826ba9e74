"""Late-payment statements, "relevés d'indemnités de retard" (RIR, ACCT-6).

A statement is issued for an invoice left unpaid past its due date: the late-payment penalties
(three times the French legal interest rate, pro rata of the days late, art. L441-10 of the
Commercial Code) and the fixed 40 EUR recovery indemnity (art. D441-5). It is numbered in the
gapless series "RIR", copies everything it shows when it is issued and keeps its PDF, like an
invoice: only its status moves afterwards. While one is awaiting payment the account pays its
orders in cash only (`BillingProfile.late_payment_block`).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account

from .base import AppendOnlyManager
from .documents import Document, ImmutableDocumentError

RIR_SERIES = "RIR"


def _public_id() -> str:
    return secrets.token_hex(8)


class StatementStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    ABANDONED = "abandoned", _("Abandoned")


class LatePaymentStatement(models.Model):
    """ACCT-6: one statement per overdue invoice, frozen at issue."""

    MUTABLE_FIELDS = frozenset({"status", "paid_at", "payment_reference", "closed_by", "pdf"})

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="late_payment_statements", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number in series"))
    display_number = models.CharField(_("number"), max_length=20, unique=True)
    invoice = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="late_payment_statement", verbose_name=_("invoice")
    )
    issue_date = models.DateField(_("issue date"))
    language = models.CharField(_("language"), max_length=8)
    seller = models.JSONField(_("seller"))
    invoice_due_date = models.DateField(_("invoice due date"))
    days_late = models.PositiveIntegerField(_("days late"))
    amount_due = models.DecimalField(_("invoice amount due (incl. VAT)"), max_digits=12, decimal_places=2)
    legal_interest_rate = models.DecimalField(
        _("legal interest rate (% a year)"), max_digits=5, decimal_places=2
    )
    penalty_rate = models.DecimalField(_("penalty rate (% a year)"), max_digits=5, decimal_places=2)
    penalties = models.DecimalField(_("late-payment penalties"), max_digits=12, decimal_places=2)
    indemnity = models.DecimalField(_("recovery indemnity"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total due"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=20, choices=StatementStatus.choices, default=StatementStatus.AWAITING_PAYMENT
    )
    paid_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    pdf = models.BinaryField(_("PDF"), editable=False, default=bytes)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account", _manager_class=AppendOnlyManager)

    class Meta:
        verbose_name = _("late-payment statement")
        verbose_name_plural = _("late-payment statements")
        ordering = ["-issue_date", "-id"]
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="rir_number_unique")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def pdf_filename(self) -> str:
        return f"{self.display_number}.pdf"

    # The PDF template is the invoice's (billing/pdf/base.html): it reads these from the invoice,
    # whose copy of the buyer never changes.
    @property
    def buyer_name(self) -> str:
        return self.invoice.buyer_name

    @property
    def buyer_address(self) -> str:
        return self.invoice.buyer_address

    @property
    def buyer_postal_code(self) -> str:
        return self.invoice.buyer_postal_code

    @property
    def buyer_city(self) -> str:
        return self.invoice.buyer_city

    @property
    def buyer_country(self) -> str:
        return self.invoice.buyer_country

    @property
    def buyer_registration_number(self) -> str:
        return self.invoice.buyer_registration_number

    @property
    def buyer_vat_number(self) -> str:
        return self.invoice.buyer_vat_number

    def save(self, *args: Any, update_fields: Any = None, **kwargs: Any) -> None:
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS
        ):
            raise ImmutableDocumentError(_("An issued late-payment statement cannot change."))
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDocumentError(_("An issued late-payment statement cannot be deleted."))
