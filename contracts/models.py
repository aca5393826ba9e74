"""Contracts (CON-1) and the data-processing terms of each brand with the accounts' decisions (CON-2).

A contract binds an account for its validity dates: while one is in force the account orders only
the products (or brands) it allows, free products aside; its objectives count the orders of a
period. Consent terms are versioned per brand and written per language by staff; an account's
decisions are append-only rows (accepted, declined, withdrawn), the newest one counting.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account
from catalog.models import Brand, Product


def _public_id() -> str:
    return secrets.token_hex(6)


def contract_document_path(instance: Contract, filename: str) -> str:
    return f"contracts/{instance.account_id}/{secrets.token_hex(8)}.pdf"


class Contract(models.Model):
    """CON-1: a contract between the reseller and an account (a public market, a framework deal)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    reference = models.CharField(
        _("reference"), max_length=100, help_text=_("As written on the signed contract.")
    )
    starts_on = models.DateField(_("valid from"))
    ends_on = models.DateField(_("valid until"), help_text=_("Last day the contract is in force."))
    products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="+",
        verbose_name=_("allowed products"),
        help_text=_("With no product and no brand, every product may be ordered."),
    )
    brands = models.ManyToManyField(
        Brand,
        blank=True,
        related_name="+",
        verbose_name=_("allowed brands"),
        help_text=_("Every product of these brands may be ordered."),
    )
    signed_document = models.FileField(
        _("signed contract (PDF)"), upload_to=contract_document_path, blank=True
    )
    document_name = models.CharField(_("file name"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="contract_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.reference

    def in_force(self, on: datetime.date) -> bool:
        return self.starts_on <= on <= self.ends_on


class Objective(models.Model):
    """CON-1: an order objective of a contract: a number of orders or an amount per period."""

    class Measure(models.TextChoices):
        COUNT = "count", _("Number of orders")
        AMOUNT = "amount", _("Amount ordered excl. VAT")

    class Period(models.TextChoices):
        MONTH = "month", _("per month")
        QUARTER = "quarter", _("per quarter")
        YEAR = "year", _("per year")
        CONTRACT = "contract", _("over the whole contract")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("contract")
    )
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)

    objects = ScopedManager(account="contract__account")

    class Meta:
        verbose_name = _("order objective")
        verbose_name_plural = _("order objectives")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(target__gt=0), name="objective_target_positive")]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} {self.get_period_display()}: {self.target}"


class ContractReminder(models.Model):
    """JOBS-8: one reminder sent before the end of a contract; unique per stage, so the job can run
    again (or twice) without a second email."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="contract__account")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "days_before"], name="contract_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} -{self.days_before}d"


class ConsentTerms(models.Model):
    """CON-2: one version of what a brand (its certification authority) does with the data sent to
    it, written per language. Staff edit a draft, then publish it; a published version never
    changes, and publishing a new one asks every account again."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    version = models.PositiveIntegerField(_("version"), editable=False)
    data_sent_en = models.TextField(_("data sent (English)"))
    data_sent_fr = models.TextField(_("data sent (French)"))
    use_en = models.TextField(_("use of the data (English)"))
    use_fr = models.TextField(_("use of the data (French)"))
    recipients_en = models.TextField(_("recipients (English)"))
    recipients_fr = models.TextField(_("recipients (French)"))
    location_en = models.TextField(_("where it is processed (English)"))
    location_fr = models.TextField(_("where it is processed (French)"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("data processing terms")
        verbose_name_plural = _("data processing terms")
        ordering = ["brand__position", "-version"]
        constraints = [models.UniqueConstraint(fields=["brand", "version"], name="consent_terms_version")]

    def __str__(self) -> str:
        return f"{self.brand.name} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.version:
            last = ConsentTerms.objects.filter(brand_id=self.brand_id).aggregate(v=models.Max("version"))["v"]
            self.version = (last or 0) + 1
        super().save(*args, **kwargs)

    def text(self, language: str) -> dict[str, str]:
        """The four parts of the terms in `language` (French, else English)."""
        suffix = "fr" if (language or "").startswith("fr") else "en"
        return {
            "data_sent": getattr(self, f"data_sent_{suffix}"),
            "use": getattr(self, f"use_{suffix}"),
            "recipients": getattr(self, f"recipients_{suffix}"),
            "location": getattr(self, f"location_{suffix}"),
        }


class ConsentDecision(models.Model):
    """CON-2: an account's decision on one version of a brand's terms: who, when, from where.

    Append-only: a new decision (or a withdrawal) is a new row; the newest row of an account and
    brand is the one that counts."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    terms = models.ForeignKey(
        ConsentTerms, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("terms")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    decided_at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("data processing decision")
        verbose_name_plural = _("data processing decisions")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["account", "brand", "-decided_at"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.decision}"
