"""Accounting documents: invoices, credit notes, quotes and delivery notes (ACCT-1, ACCT-2, PLAT-4).

A document copies everything it shows at issue time (seller and buyer identities, lines, totals,
mentions) and keeps its rendered PDF, so a later change of the account or of the settings never
changes an issued document (STYLE.md 7). Only its payment or signature state moves afterwards.
A correction is a credit note referring to the invoice. Numbers come from `NumberSequence`, one
row per series and year, locked in the transaction that creates the document: no gap, no
duplicate, in issue order.
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

from .base import AppendOnlyError, AppendOnlyManager


class ImmutableDocumentError(AppendOnlyError):
    """An issued document's content cannot change (ACCT-1)."""


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    QUOTE = "quote", _("Quote")
    DELIVERY_NOTE = "delivery_note", _("Delivery note")


# One numbering series per kind: F2026-000123, AV2026-000004, D2026-000010, BL2026-000001.
SERIES = {
    DocumentKind.INVOICE: "F",
    DocumentKind.CREDIT_NOTE: "AV",
    DocumentKind.QUOTE: "D",
    DocumentKind.DELIVERY_NOTE: "BL",
}


class DocumentStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    OPEN = "open", _("Open")
    SIGNED = "signed", _("Signed")
    EXPIRED = "expired", _("Expired")


class NumberSequence(models.Model):
    """The last number given in a series for a year; locked while a document takes the next one."""

    series = models.CharField(_("series"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        ordering = ["-year", "series"]
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_sequence_per_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series}{self.year}: {self.last_number}"


def _public_id() -> str:
    return secrets.token_hex(8)


class Document(models.Model):
    # Fields that may change after issue; every other field is frozen once the row exists.
    MUTABLE_FIELDS = frozenset({"status", "paid_at", "payment_reference", "signed_at", "pdf"})

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="documents", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    series = models.CharField(_("series"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number in series"))
    display_number = models.CharField(_("number"), max_length=20, unique=True)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8)
    seller = models.JSONField(_("seller"))
    buyer_name = models.CharField(_("customer"), max_length=200)
    buyer_address = models.CharField(_("address"), max_length=250)
    buyer_postal_code = models.CharField(_("postal code"), max_length=20)
    buyer_city = models.CharField(_("city"), max_length=100)
    buyer_country = models.CharField(_("country"), max_length=2)
    buyer_registration_number = models.CharField(_("organisation number"), max_length=40, blank=True)
    buyer_vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    total_incl_vat = models.DecimalField(_("total incl. VAT"), max_digits=12, decimal_places=2)
    vat_mention = models.CharField(_("VAT mention"), max_length=200, blank=True)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    source_reference = models.CharField(
        _("reference"),
        max_length=60,
        blank=True,
        db_index=True,
        help_text=_("The order or top-up this document is for."),
    )
    reason = models.TextField(_("reason"), blank=True)
    related_document = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="related_documents",
        verbose_name=_("related document"),
    )
    status = models.CharField(_("status"), max_length=20, choices=DocumentStatus.choices)
    paid_at = models.DateTimeField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed on"), null=True, blank=True)
    pdf = models.BinaryField(_("PDF"), editable=False, default=bytes)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account", _manager_class=AppendOnlyManager)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["account", "kind", "status"]),
            # ACCT-1, issue 17: a page of the account's documents in date order reads only its rows;
            # the ids of a middle page are read from this index alone (id and kind in it).
            models.Index(
                fields=["account", "issue_date", "display_number", "id", "kind"],
                name="document_account_listed",
            ),
            # ACCT-3, issue 17: the unpaid invoices in due-date order, a page's ids from the index alone.
            models.Index(
                fields=["account", "due_date", "id"],
                condition=models.Q(kind="invoice", status="issued"),
                name="document_unpaid_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "number"], name="document_number_unique"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @staticmethod
    def format_number(series: str, year: int, number: int) -> str:
        return f"{series}{year}-{number:06d}"

    @property
    def pdf_filename(self) -> str:
        return f"{self.display_number}.pdf"

    @property
    def is_overdue(self) -> bool:
        """ACCT-3: an unpaid invoice past its due date."""
        return (
            self.kind == DocumentKind.INVOICE
            and self.status == DocumentStatus.ISSUED
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )

    def save(self, *args: Any, update_fields: Any = None, **kwargs: Any) -> None:
        # Saving only state fields (status, payment, signature) cannot touch the content: no check.
        state_only = update_fields is not None and set(update_fields) <= self.MUTABLE_FIELDS - {"pdf"}
        if not self._state.adding and not state_only:
            self._refuse_content_change()
        super().save(*args, update_fields=update_fields, **kwargs)

    def _refuse_content_change(self) -> None:
        deferred = self.get_deferred_fields()
        frozen = [
            f
            for f in self._meta.concrete_fields
            if f.name not in self.MUTABLE_FIELDS and f.attname not in deferred
        ]
        check_pdf = "pdf" not in deferred
        names = [f.attname for f in frozen] + (["pdf"] if check_pdf else [])
        # The base manager is not scoped: the check must run in any scope, or none.
        stored = type(self)._base_manager.filter(pk=self.pk).values(*names).get()
        changed = [f.name for f in frozen if stored[f.attname] != getattr(self, f.attname)]
        if changed:
            raise ImmutableDocumentError(
                _("An issued document cannot change (%(fields)s); issue a credit note instead.")
                % {"fields": ", ".join(changed)}
            )
        if check_pdf and stored["pdf"] and bytes(stored["pdf"]) != bytes(self.pdf):
            raise ImmutableDocumentError(_("The PDF of an issued document cannot be replaced."))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDocumentError(_("An issued document cannot be deleted; issue a credit note instead."))


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=12, decimal_places=2)

    objects = AppendOnlyManager()

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="one_line_per_position")]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDocumentError(_("A line of an issued document cannot change."))
        if self.document.pdf:
            raise ImmutableDocumentError(_("No line can be added to an issued document."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDocumentError(_("A line of an issued document cannot be deleted."))
