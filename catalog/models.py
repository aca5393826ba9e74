"""The catalogue (STAFF-3, PRICE-1): brands, products, validity periods, public prices excl. VAT.

Catalogue data is shared by every account; staff edit it in the admin at /staff/.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DcvMethod(models.TextChoices):
    """ORD-8: the domain control validation methods (CA/B BR 3.2.2.4)."""

    DNS = "dns", _("DNS TXT record")
    HTTP = "http", _("HTTP file under /.well-known/pki-validation/")
    EMAIL = "email", _("Email to an approved address")


def all_dcv_methods() -> list[str]:
    return [method.value for method in DcvMethod]


class Brand(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    delivery_time = models.CharField(_("current delivery time"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # STAFF-3 / ORD-8: the DCV methods the brand's CA accepts, in the order the DCV page offers them.
    dcv_methods = models.JSONField(
        _("domain validation methods"),
        default=all_dcv_methods,
        help_text=_("The methods the order form, the DCV page and automation offer, in this order."),
    )

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ProductType(models.TextChoices):
    """The groups of the new-order page (ORD-1)."""

    SERVER_DV = "server_dv", _("DV server certificate")
    SERVER_OV = "server_ov", _("OV server certificate")
    SERVER_EV = "server_ev", _("EV server certificate")
    MULTI_DOMAIN = "multi_domain", _("Multi-domain certificate")
    WILDCARD = "wildcard", _("Wildcard certificate")
    CLIENT = "client", _("Client / S-MIME certificate")
    CODE_SIGNING = "code_signing", _("Code signing certificate")
    PSD2 = "psd2", _("PSD2 certificate")
    SEAL = "seal", _("Electronic seal")
    SIGNATURE = "signature", _("Signature solution")


SERVER_TYPES = {
    ProductType.SERVER_DV,
    ProductType.SERVER_OV,
    ProductType.SERVER_EV,
    ProductType.MULTI_DOMAIN,
    ProductType.WILDCARD,
}


class Product(models.Model):
    class Validation(models.TextChoices):
        DV = "DV", _("Domain validation")
        OV = "OV", _("Organisation validation")
        EV = "EV", _("Extended validation")
        IV = "IV", _("Individual validation")
        NONE = "", _("Not applicable")

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="products", verbose_name=_("brand")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=150)
    product_type = models.CharField(_("type"), max_length=20, choices=ProductType.choices)
    validation = models.CharField(_("validation"), max_length=2, choices=Validation.choices, blank=True)
    description = models.TextField(_("description"), blank=True)
    delivery_time = models.CharField(
        _("delivery time"),
        max_length=100,
        blank=True,
        help_text=_("This product's own delivery time; empty: the brand's current delivery time."),
    )
    publicly_trusted_tls = models.BooleanField(
        _("publicly trusted TLS"),
        default=False,
        help_text=_("Validity follows the CA/Browser Forum schedule (LIFE-9)."),
    )
    requires_csr = models.BooleanField(_("requires a CSR"), default=True)
    wildcard = models.BooleanField(_("wildcard common name"), default=False)
    included_sans = models.PositiveSmallIntegerField(_("SANs included"), default=0)
    max_sans = models.PositiveSmallIntegerField(_("maximum SANs"), default=0)
    san_price = models.DecimalField(
        _("price of an additional SAN per year"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
    )
    wildcard_san_price = models.DecimalField(
        _("price of a wildcard SAN per year"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
    )
    reissuable = models.BooleanField(_("reissuable"), default=True)
    is_test = models.BooleanField(_("test product"), default=False)
    active = models.BooleanField(_("active"), default=True)
    replacement = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replacement product"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["brand__position", "position", "name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """The brand and the product, the brand named once ("Sectigo OV SSL", "TBS X509 SSL DV")."""
        if self.name.casefold().startswith(self.brand.name.casefold()):
            return self.name
        return f"{self.brand.name} {self.name}"

    @property
    def delivery(self) -> str:
        """The product's own delivery time, else its part of the brand's ("OV: 1-3 days" → "1-3 days")."""
        return self.delivery_time or product_delivery_time(
            self.brand.delivery_time, self.name, self.validation, self.description
        )

    @property
    def is_server(self) -> bool:
        return self.product_type in SERVER_TYPES


_QUALIFIED_MARKS = ("RGS*", "QWAC", "QSealC", "qualified")


def product_delivery_time(brand_delivery: str, name: str, validation: str, description: str) -> str:
    """The part of a brand's delivery string ("DV: minutes, OV: 1-3 days") for one product."""
    parts = {
        key.strip(): value.strip()
        for key, _sep, value in (part.partition(":") for part in brand_delivery.split(","))
        if value
    }
    if not parts:
        return brand_delivery  # one time for the whole brand ("Platform opened within 2 working days")
    text = f"{name} {description}"
    if any(mark in text for mark in _QUALIFIED_MARKS):
        for key in ("qualified", "RGS products"):
            if key in parts:
                return parts[key]
    if validation in parts:
        return parts[validation]
    # An individual (IV) or unlisted validation takes the organisation checks' time, else the first.
    return parts.get("OV") or next(iter(parts.values()))


class ProductPeriod(models.Model):
    """A validity period on sale for a product with its public price excluding VAT."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="periods")
    months = models.PositiveSmallIntegerField(_("months"), validators=[MinValueValidator(1)])
    price = models.DecimalField(
        _("public price excl. VAT"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("validity period")
        verbose_name_plural = _("validity periods")
        ordering = ["product", "months"]
        constraints = [models.UniqueConstraint(fields=["product", "months"], name="one_price_per_period")]

    def __str__(self) -> str:
        return f"{self.product} – {self.months} months"


class News(models.Model):
    """NAV-3, STAFF-3: a news item staff publish on every account's home page."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", "English"), ("fr", "Français")],
        help_text=_("Shown to users of this language only; empty for everyone."),
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    active = models.BooleanField(_("published on the home page"), default=True)

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title


class Chain(models.Model):
    """ORD-2, STAFF-3: a certification chain a brand lets the customer choose.

    A brand with no chain issues under its one chain and the order form asks nothing. A
    cross-signed chain leads to a legacy root for older devices: the embedded CA has the brand's
    root cross-certified by that legacy root (orders.ca.embedded).
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="chains", verbose_name=_("brand"))
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("label"), max_length=150)
    cross_signed = models.BooleanField(
        _("cross-signed by a legacy root"),
        default=False,
        help_text=_("For older devices: the brand's root is presented as certified by a legacy root."),
    )
    recommended = models.BooleanField(_("recommended"), default=False)
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("certification chain")
        verbose_name_plural = _("certification chains")
        ordering = ["brand", "-recommended", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="one_chain_code_per_brand")]

    def __str__(self) -> str:
        return self.label


def product_sheet_path(instance: ProductSheetAttachment, filename: str) -> str:
    return f"product-sheets/{instance.sheet.brand.code}/{secrets.token_hex(6)}-{filename[-80:]}"


class ProductSheet(models.Model):
    """AUTO-5: a product sheet of the documentation space, per brand, written by staff (STAFF-3)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="sheets", verbose_name=_("brand"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", "English"), ("fr", "Français")],
        help_text=_("Shown to users of this language only; empty for everyone."),
    )
    products = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("products described")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("product sheet")
        verbose_name_plural = _("product sheets")
        ordering = ["brand__position", "position", "title"]

    def __str__(self) -> str:
        return self.title


class ProductSheetAttachment(models.Model):
    """AUTO-5: a file of a product sheet (a PDF leaflet, a comparison table...)."""

    sheet = models.ForeignKey(
        ProductSheet, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("product sheet")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=product_sheet_path)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        """The name staff uploaded it with (without the random prefix)."""
        return os.path.basename(self.file.name or "").split("-", 1)[-1]
