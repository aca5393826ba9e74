"""Top-ups (LEDG-4, LEDG-5) and SEPA direct debit mandates (ADM-5, ORD-9).

A top-up is what the customer asked to buy: tokens per product (bulk purchase, rebate) or euros
for the current account. Confirming it issues its invoice (or its quote) at once; the tokens or
euros are credited only when staff record its payment (billing.services.topups.confirm_topup),
once, under the top-up's row lock.

A SEPA mandate is filled in by the customer, rendered to PDF with the creditor identifier and
emailed to the account's super user; the customer sends it back signed and staff validate it.
Only a validated mandate allows payment by direct debit (billing.services.sepa.active_mandate).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account, Contact
from catalog.models import Product

from .ledger import PaymentMode


def _public_id() -> str:
    return secrets.token_hex(8)


class TopUpKind(models.TextChoices):
    TOKENS = "tokens", _("Tokens")
    EUROS = "euros", _("Current account")


class TopUpStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


# LEDG-4: the payment modes a top-up may use (no deferred purchase order, no balance).
TOPUP_PAYMENT_MODES = (PaymentMode.CARD, PaymentMode.TRANSFER, PaymentMode.CHEQUE, PaymentMode.DIRECT_DEBIT)


class TopUp(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="topups", verbose_name=_("account")
    )
    public_id = models.CharField(
        _("reference"), max_length=16, unique=True, default=_public_id, editable=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TopUpKind.choices)
    amount_excl_vat = models.DecimalField(_("amount excl. VAT"), max_digits=12, decimal_places=2)
    amount_incl_vat = models.DecimalField(_("amount incl. VAT"), max_digits=12, decimal_places=2)
    payment_mode = models.CharField(
        _("payment mode"), max_length=20, choices=[(mode.value, mode.label) for mode in TOPUP_PAYMENT_MODES]
    )
    billing_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("billing contact"),
    )
    as_quote = models.BooleanField(_("quote instead of invoice"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=TopUpStatus.choices, default=TopUpStatus.PENDING
    )
    document = models.ForeignKey(
        "billing.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
        help_text=_("The invoice or quote issued when the top-up was confirmed."),
    )
    invoice = models.ForeignKey(
        "billing.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
        help_text=_("The invoice paid: the document itself, or the one issued on payment of a quote."),
    )
    sepa_mandate = models.ForeignKey(
        "billing.SepaMandate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SEPA mandate"),
    )
    # One confirmation per review page: a second click on "Confirm" finds this key taken.
    draft_key = models.CharField(max_length=32, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid on"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment recorded by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "draft_key"], name="topup_once_per_draft"),
            models.CheckConstraint(condition=models.Q(amount_excl_vat__gt=0), name="topup_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.public_id


class TopUpLine(models.Model):
    """LEDG-4: tokens of one product in a top-up, at the unit price of the discount grid."""

    topup = models.ForeignKey(TopUp, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("tokens"))
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=10, decimal_places=2)
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("top-up line")
        verbose_name_plural = _("top-up lines")
        ordering = ["topup", "id"]
        constraints = [
            models.UniqueConstraint(fields=["topup", "product"], name="topup_one_line_per_product"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="topup_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class MandateKind(models.TextChoices):
    RECURRING = "recurring", _("Recurring")
    ONE_OFF = "one_off", _("One-off")


class MandateStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the signed mandate")
    VALIDATED = "validated", _("Validated")
    REVOKED = "revoked", _("Revoked")


class SepaMandate(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="sepa_mandates", verbose_name=_("account")
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    reference = models.CharField(_("mandate reference (RUM)"), max_length=35, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=10, choices=MandateKind.choices, default=MandateKind.RECURRING
    )
    holder_name = models.CharField(_("account holder"), max_length=70)
    holder_address = models.CharField(_("address"), max_length=250)
    holder_postal_code = models.CharField(_("postal code"), max_length=20)
    holder_city = models.CharField(_("city"), max_length=100)
    holder_country = models.CharField(_("country"), max_length=2)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    creditor_id = models.CharField(_("creditor identifier"), max_length=35, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MandateStatus.choices, default=MandateStatus.PENDING
    )
    pdf = models.BinaryField(_("PDF"), editable=False, default=bytes)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested on"), default=timezone.now)
    signed_at = models.DateField(
        _("signed on"), null=True, blank=True, help_text=_("The date on the signed mandate received.")
    )
    validated_at = models.DateTimeField(_("validated on"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_iban(self) -> str:
        """The IBAN with only its country, check digits and last four characters shown."""
        return f"{self.iban[:4]} **** {self.iban[-4:]}" if len(self.iban) > 8 else self.iban

    @property
    def pdf_filename(self) -> str:
        return f"sepa-mandate-{self.reference}.pdf"
