"""Orders, their certificates, and the embedded CA's issuing authorities (LIFE-1, LIFE-7, AUTO-4)."""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scopes_disabled

from accounts.models import Account, Contact, Organisation
from catalog.models import Brand, DcvMethod, Product

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(prefix: str = "CP") -> str:
    """ "CP" + 8 characters, or another prefix (AUTO-2: "ACME-") and as many as fit in 12."""
    return prefix + "".join(secrets.choice(_REF_ALPHABET) for _ in range(12 - len(prefix)))


class OrderStatus(models.TextChoices):
    """LIFE-1, the guide's list. `STATUS_HELP` below says what each means to the customer."""

    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    QUOTE = "quote", _("Quote")
    QUOTE_SIGNED = "quote_signed", _("Quote signed")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PROCESSING_AWAITING_PAYMENT = "processing_awaiting_payment", _("Processing, awaiting payment")
    UNDER_VERIFICATION = "under_verification", _("Under verification")
    AWAITING_DCV = "awaiting_dcv", _("Awaiting domain validation")
    DORMANT = "dormant", _("Dormant (documents missing)")
    DELIVERED_NOT_INVOICED = "delivered_not_invoiced", _("Delivered, not invoiced")
    DELIVERED_NOT_PAID = "delivered_not_paid", _("Delivered, not paid")
    DELIVERED_PAID = "delivered_paid", _("Delivered and paid")
    CANCELLED = "cancelled", _("Cancelled")
    CANCELLED_REFUNDED = "cancelled_refunded", _("Cancelled and refunded")
    NO_FOLLOWUP_AWAITING_FEE = "no_followup_awaiting_fee", _("No follow-up, awaiting cancellation fee")
    NO_FOLLOWUP_FEE_PAID = "no_followup_fee_paid", _("No follow-up, fee paid")


S = OrderStatus

STATUS_HELP = {
    S.AWAITING_APPROVAL: _("An approver of your account must approve this order before it goes on."),
    S.QUOTE: _("A quote was issued; the order goes on once the quote is signed."),
    S.QUOTE_SIGNED: _("The signed quote was received; the order is being processed."),
    S.AWAITING_PAYMENT: _("We are waiting for your payment before processing the order."),
    S.PROCESSING_AWAITING_PAYMENT: _("The order is being processed while the payment is pending."),
    S.UNDER_VERIFICATION: _("Our validation team is checking the order."),
    S.AWAITING_DCV: _("The domain control validation has not been completed yet."),
    S.DORMANT: _("Documents are missing: the order waits for them."),
    S.DELIVERED_NOT_INVOICED: _("The certificate was delivered; the invoice has not been issued yet."),
    S.DELIVERED_NOT_PAID: _("The certificate was delivered; the invoice is not paid yet."),
    S.DELIVERED_PAID: _("The certificate was delivered and the order is paid."),
    S.CANCELLED: _("The order was cancelled."),
    S.CANCELLED_REFUNDED: _("The order was cancelled and what was paid was refunded."),
    S.NO_FOLLOWUP_AWAITING_FEE: _("The order was abandoned; the cancellation fee is awaited."),
    S.NO_FOLLOWUP_FEE_PAID: _("The order was abandoned and the cancellation fee is paid."),
}

# LIFE-1: the only moves an order may make. Anything else raises IllegalTransition.
TRANSITIONS: dict[str, set[str]] = {
    S.AWAITING_APPROVAL: {
        S.AWAITING_PAYMENT,
        S.QUOTE,
        S.UNDER_VERIFICATION,
        S.PROCESSING_AWAITING_PAYMENT,
        S.CANCELLED,
    },
    S.QUOTE: {S.QUOTE_SIGNED, S.CANCELLED},
    S.QUOTE_SIGNED: {
        S.UNDER_VERIFICATION,
        S.AWAITING_DCV,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.CANCELLED,
        S.CANCELLED_REFUNDED,
    },
    # Staff may start an unpaid order before payment (direct debit, ORD-9): processing, awaiting payment.
    S.AWAITING_PAYMENT: {S.UNDER_VERIFICATION, S.AWAITING_DCV, S.PROCESSING_AWAITING_PAYMENT, S.CANCELLED},
    S.PROCESSING_AWAITING_PAYMENT: {
        S.UNDER_VERIFICATION,
        S.AWAITING_DCV,
        S.DORMANT,
        S.DELIVERED_NOT_PAID,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.CANCELLED,
    },
    # An order in verification is cancelled (nothing paid: a firm quote or a monthly account) or
    # cancelled and refunded (paid).
    S.UNDER_VERIFICATION: {
        S.AWAITING_DCV,
        S.DORMANT,
        S.DELIVERED_PAID,
        S.DELIVERED_NOT_INVOICED,
        S.DELIVERED_NOT_PAID,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.CANCELLED,
        S.CANCELLED_REFUNDED,
    },
    S.AWAITING_DCV: {
        S.UNDER_VERIFICATION,
        S.DORMANT,
        S.DELIVERED_PAID,
        S.DELIVERED_NOT_INVOICED,
        S.DELIVERED_NOT_PAID,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.CANCELLED,
        S.CANCELLED_REFUNDED,
    },
    S.DORMANT: {
        S.UNDER_VERIFICATION,
        S.AWAITING_DCV,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.CANCELLED,
        S.CANCELLED_REFUNDED,
    },
    S.DELIVERED_NOT_INVOICED: {S.DELIVERED_NOT_PAID, S.DELIVERED_PAID},
    S.DELIVERED_NOT_PAID: {S.DELIVERED_PAID},
    S.DELIVERED_PAID: set(),
    S.CANCELLED: set(),
    S.CANCELLED_REFUNDED: set(),
    S.NO_FOLLOWUP_AWAITING_FEE: {S.NO_FOLLOWUP_FEE_PAID},
    S.NO_FOLLOWUP_FEE_PAID: set(),
}

DELIVERED = {S.DELIVERED_NOT_INVOICED, S.DELIVERED_NOT_PAID, S.DELIVERED_PAID}
CLOSED = {S.CANCELLED, S.CANCELLED_REFUNDED, S.NO_FOLLOWUP_FEE_PAID, S.NO_FOLLOWUP_AWAITING_FEE}
IN_PROGRESS = set(S) - DELIVERED - CLOSED
# Where staff may issue the certificate: paid (or firm) and being processed.
ISSUABLE = {S.UNDER_VERIFICATION, S.AWAITING_DCV, S.PROCESSING_AWAITING_PAYMENT}


class ServerSoftware(models.TextChoices):
    APACHE = "apache", "Apache"
    NGINX = "nginx", "nginx"
    IIS = "iis", "Microsoft IIS"
    TOMCAT = "tomcat", "Tomcat / Java"
    HAPROXY = "haproxy", "HAProxy"
    EXCHANGE = "exchange", "Microsoft Exchange"
    F5 = "f5", "F5 BIG-IP"
    CPANEL = "cpanel", "cPanel / Plesk"
    OTHER = "other", _("Other")


class OrderOrigin(models.TextChoices):
    """How an order came to be (ORD-5, ORD-10, ORD-12, ORD-15)."""

    ORDERED = "ordered", _("Ordered")
    RENEWAL = "renewal", _("Renewal")
    CLONE = "clone", _("Clone")
    MIGRATION = "migration", _("Migration")
    IMPORT = "import", _("Import")
    EXTERNAL_LINK = "external_link", _("External order link")


# Issue 17: the fields of Order that summarise its certificates (see Order and refresh_certificate_ends).
SUMMARY_FIELDS = frozenset(
    {"latest_certificate_end", "latest_certificate_state", "certificates_end", "valid_certificates_end"}
)
# The certificate fields those summaries read: an UPDATE of one of them refreshes the orders.
SUMMARISED_CERTIFICATE_FIELDS = frozenset({"order", "order_id", "not_after", "state", "created_at"})
# Issue 17: the catalogue's names stored on Order (see Order.product_name and fill_catalog_names).
CATALOG_NAME_FIELDS = frozenset({"product_name", "brand_name"})


def fill_catalog_names(orders: list[Order]) -> None:
    """Issue 17: set each order's `product_name` and `brand_name` from its product, in at most one
    query (none when every order's product is loaded with its brand)."""
    names: dict[int, tuple[str, str]] = {}
    missing: set[int] = set()
    for order in orders:
        if Order.product.is_cached(order) and Product.brand.is_cached(order.product):
            names[order.product_id] = (order.product.name, order.product.brand.name)
        elif order.product_id is not None:
            missing.add(order.product_id)
    missing -= names.keys()
    if missing:
        for pk, name, brand in Product.objects.filter(pk__in=missing).values_list(
            "pk", "name", "brand__name"
        ):
            names[pk] = (name, brand)
    for order in orders:
        if order.product_id in names:
            order.product_name, order.brand_name = names[order.product_id]
            order._names_of = order.product_id


class OrderManager(models.Manager["Order"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Order]:
        """`bulk_create` calls no `save()`: the orders' product and brand names are filled here."""
        orders = list(objs)
        fill_catalog_names(orders)
        return super().bulk_create(orders, *args, **kwargs)


class Order(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(
        _("our reference"), max_length=12, unique=True, default=new_reference, editable=False
    )
    customer_reference = models.CharField(_("your reference"), max_length=60, blank=True)
    ca_reference = models.CharField(_("CA reference"), max_length=60, blank=True)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    period_months = models.PositiveSmallIntegerField(_("period (months)"))
    price_excl_vat = models.DecimalField(_("price excl. VAT"), max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2, default=Decimal("20.00"))
    status = models.CharField(_("status"), max_length=32, choices=OrderStatus.choices, db_index=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="orders", verbose_name=_("holder organisation")
    )
    admin_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("administrative contact")
    )
    technical_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("technical contact")
    )
    server_software = models.CharField(
        _("server software"), max_length=20, choices=ServerSoftware.choices, blank=True
    )
    server_software_other = models.CharField(_("other server software"), max_length=100, blank=True)
    common_name = models.CharField(_("common name"), max_length=253)
    sans = models.JSONField(_("additional names"), default=list, blank=True)
    csr = models.TextField(_("CSR"), blank=True)
    csr_public_key_sha256 = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    dcv_method = models.CharField(
        _("domain validation method"), max_length=10, choices=DcvMethod.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    created_at = models.DateTimeField(_("ordered"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    handler_name = models.CharField(_("handled by"), max_length=100, blank=True)
    customer_comment = models.TextField(_("comment to the customer"), blank=True)
    # ORD-3: the review page's one-time token; a second "confirm" with it finds this order instead
    # of creating another (the unique constraint settles two confirmations racing).
    submission_token = models.CharField(max_length=64, blank=True, editable=False)
    origin = models.CharField(
        _("origin"), max_length=20, choices=OrderOrigin.choices, default=OrderOrigin.ORDERED
    )
    source_order = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renewed, cloned or migrated from"),
    )
    external_link = models.ForeignKey(
        "ExternalOrderLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("external order link"),
    )
    legal_representative = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal representative"),
    )
    # Type-specific choices (ORD-2, ORD-4): assistance, machine licences, chain, PSD2 roles and
    # authority, signature-solution users and document packs... validated by each product form.
    options = models.JSONField(_("options"), default=dict, blank=True)
    subscription_ends_at = models.DateTimeField(_("subscription ends"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    do_not_renew = models.BooleanField(_("do not renew"), default=False)
    # ORD-14: file the next term automatically (JOBS-2); server certificates only, not PositiveSSL.
    auto_renew = models.BooleanField(_("automatic renewal"), default=False, db_index=True)
    # ORD-4: client certificate key made by the holder in their own browser from an emailed link.
    invitation_token = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    invitation_sent_at = models.DateTimeField(_("invitation sent"), null=True, blank=True)
    # ADM-7: the account's custom fields, labelled on Account (custom_label_1..4).
    custom_1 = models.CharField(_("custom field 1"), max_length=200, blank=True)
    custom_2 = models.CharField(_("custom field 2"), max_length=200, blank=True)
    custom_3 = models.CharField(_("custom field 3"), max_length=200, blank=True)
    custom_4 = models.CharField(_("custom field 4"), max_length=200, blank=True)
    # Issue 17: what the lists sort and filter on, stored so that a page reads its rows from an index
    # instead of a subquery per order of the account. Kept current by `refresh_certificate_ends`
    # (every save or delete of a certificate, and `Certificate.objects…update()`), never by `save()`
    # (see `SUMMARY_FIELDS`): the latest certificate's end and state (the order list's "valid until"
    # and "certificate"), the last end of any certificate (the renewal window, ORD-10) and the last
    # end of a valid certificate (the reissue list, ORD-11).
    latest_certificate_end = models.DateTimeField(null=True, blank=True, editable=False)
    latest_certificate_state = models.CharField(max_length=10, null=True, blank=True, editable=False)
    certificates_end = models.DateTimeField(null=True, blank=True, editable=False)
    valid_certificates_end = models.DateTimeField(null=True, blank=True, editable=False)
    # Issue 17: the product's name and its brand's, as the order list shows and sorts them, stored so
    # that a list sorted by product or brand reads its page from the `order_sort_product` and
    # `order_sort_brand` indexes instead of sorting the account's orders through the catalogue join.
    # Filled whenever the order's product is set (`save()`, `Order.objects.bulk_create`: see
    # `fill_catalog_names`) and kept current by a rename of the product or brand (one UPDATE,
    # `orders.signals`).
    product_name = models.CharField(_("product"), max_length=150, blank=True, default="", editable=False)
    brand_name = models.CharField(_("brand"), max_length=100, blank=True, default="", editable=False)

    objects = ScopedManager(_manager_class=OrderManager, account="account")
    # The product whose names `product_name` and `brand_name` hold (None: not filled in this instance).
    _names_of: int | None = None

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        # LIST-1: the lists read one page of an account's orders in date order, or of one status.
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="order_account_created"),
            models.Index(fields=["account", "status", "-created_at"], name="order_account_status"),
            # ORD-10, issue 17: the orders whose subscription ends in a renewal window.
            models.Index(fields=["account", "subscription_ends_at"], name="order_account_subscription_end"),
            # Issue 17: every sortable column of the order list read in index order, account first and
            # the id last (the lists' tie-breaker), so a page of a sorted list reads only its rows.
            *(
                models.Index(fields=["account", column, "id"], name=f"order_sort_{short}")
                for column, short in (
                    ("reference", "reference"),
                    ("customer_reference", "custref"),
                    ("ca_reference", "caref"),
                    ("common_name", "cn"),
                    ("sans", "sans"),
                    ("server_software", "software"),
                    ("delivered_at", "delivered"),
                    ("status", "status"),
                    ("custom_1", "custom1"),
                    ("custom_2", "custom2"),
                    ("custom_3", "custom3"),
                    ("custom_4", "custom4"),
                    ("latest_certificate_end", "latest_end"),
                    ("valid_certificates_end", "valid_end"),
                    ("product_name", "product"),
                    ("brand_name", "brand"),
                )
            ),
            # ORD-10: the renewal list reads its window in end order (subscription end, else the
            # last certificate end: `orders.services.renewal.with_renewal_data`).
            models.Index(
                models.F("account"),
                Coalesce(models.F("subscription_ends_at"), models.F("certificates_end")),
                models.F("id"),
                name="order_renewal_end",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="one_order_per_submission_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.common_name}"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Order:
        order = super().from_db(db, field_names, values, **kwargs)
        # The product whose names the row holds: `save()` fills them again only for another product.
        order._names_of = order.__dict__.get("product_id")
        return order

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        product_id = self.__dict__.get("product_id")  # None when deferred: not saved then
        # The product's and brand's names are filled when the order gets a product (a new order, or
        # another product), in at most one query.
        refill = (
            product_id is not None
            and product_id != self._names_of
            and (update_fields is None or bool({"product", "product_id"} & set(update_fields)))
        )
        if refill:
            fill_catalog_names([self])
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "product_name", "brand_name"]
        # The stored certificate ends are written by `refresh_certificate_ends` only, the names by a
        # new product or a rename (`orders.signals`) only: an order loaded before its certificate
        # changed or its product was renamed must not write its stale copy back.
        if (
            not self._state.adding
            and not args
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            skipped = SUMMARY_FIELDS if refill else SUMMARY_FIELDS | CATALOG_NAME_FIELDS
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in skipped
            ]
        super().save(*args, **kwargs)
        self._names_of = product_id

    @property
    def status_help(self) -> str:
        return str(STATUS_HELP[OrderStatus(self.status)])

    @property
    def is_delivered(self) -> bool:
        return self.status in DELIVERED

    @property
    def vat_amount(self) -> Decimal:
        return (self.price_excl_vat * self.vat_rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def price_incl_vat(self) -> Decimal:
        return self.price_excl_vat + self.vat_amount

    @property
    def all_names(self) -> list[str]:
        return [self.common_name, *self.sans]


class CertificateAuthority(models.Model):
    """A root or issuing CA of the embedded connector, one pair per brand, made on first use.

    The private key is PKCS#8 PEM encrypted with settings.CA_KEY_PASSPHRASE.
    """

    class Kind(models.TextChoices):
        ROOT = "root", _("Root")
        INTERMEDIATE = "intermediate", _("Intermediate")
        # ORD-2: a chain for older devices. The legacy root cross-certifies the brand's root: the
        # CROSS row is the brand root's key and subject certified by the LEGACY_ROOT.
        LEGACY_ROOT = "legacy_root", _("Legacy root")
        CROSS = "cross", _("Cross-certificate")

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    common_name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    certificate_pem = models.TextField()
    encrypted_key_pem = models.TextField()
    crl_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("certificate authority")
        verbose_name_plural = _("certificate authorities")
        constraints = [models.UniqueConstraint(fields=["brand", "kind"], name="one_ca_per_brand_and_kind")]

    def __str__(self) -> str:
        return self.common_name


class RevocationReason(models.TextChoices):
    """RFC 5280 section 5.3.1 CRLReason values a subscriber may choose (CA/B BR 4.9.1.1)."""

    UNSPECIFIED = "unspecified", _("Unspecified")
    KEY_COMPROMISE = "key_compromise", _("Key compromise")
    AFFILIATION_CHANGED = "affiliation_changed", _("Affiliation changed")
    SUPERSEDED = "superseded", _("Superseded")
    CESSATION_OF_OPERATION = "cessation_of_operation", _("Cessation of operation")


# Certificates the portal issued, by the embedded CA (an issuer of ours) or by a brand's outside
# ACME CA (AUTO-4 [beyond]: no issuer of ours, the CA's chain kept); not the imported ones (ORD-15).
ISSUED_HERE = models.Q(issuer__isnull=False) | ~models.Q(chain_pem="")


class CertificateQuerySet(QuerySet["Certificate"]):
    def update(self, **kwargs: Any) -> int:
        """A set-based UPDATE (the beat jobs, revocations) refreshes the orders it touches: one
        SELECT of their ids before, one UPDATE of the orders after, whatever the number of rows."""
        if not SUMMARISED_CERTIFICATE_FIELDS & kwargs.keys():
            return super().update(**kwargs)
        with scopes_disabled():
            order_ids = set(self.values_list("order_id", flat=True))
            changed = super().update(**kwargs)
            if "order" in kwargs or "order_id" in kwargs:
                order_ids |= set(self.values_list("order_id", flat=True))
            if order_ids:
                refresh_certificate_ends(order_ids)
        return changed


def refresh_certificate_ends(order_ids: set[int] | list[int] | QuerySet[Any]) -> int:
    """Issue 17: write the certificate summaries of these orders (`SUMMARY_FIELDS`) in one UPDATE."""
    with scopes_disabled():
        certificates = Certificate.objects.filter(order=OuterRef("pk"))
        latest = certificates.order_by("-created_at", "-id")
        return Order.objects.filter(pk__in=order_ids).update(
            latest_certificate_end=Subquery(latest.values("not_after")[:1]),
            latest_certificate_state=Subquery(latest.values("state")[:1]),
            certificates_end=Subquery(certificates.order_by("-not_after", "-id").values("not_after")[:1]),
            valid_certificates_end=Subquery(
                certificates.filter(state=Certificate.State.VALID)
                .order_by("-not_after", "-id")
                .values("not_after")[:1]
            ),
        )


CertificateManager = models.Manager.from_queryset(CertificateQuerySet)


class Certificate(models.Model):
    """One certificate of an order (LIFE-7): an order holds its reissues too."""

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="certificates")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="certificates")
    issuer = models.ForeignKey(
        CertificateAuthority,
        on_delete=models.PROTECT,
        related_name="issued",
        null=True,
        blank=True,
        help_text=_("Empty for a certificate imported from elsewhere (ORD-15)."),
    )
    issuer_name = models.CharField(_("issuer"), max_length=250, blank=True)
    # RFC 5280 4.1.2.2: a serial number is unique for its issuer only; an imported certificate
    # (no issuer of ours) keeps the serial its own authority gave it.
    serial = models.CharField(_("serial number"), max_length=64, db_index=True)
    pem = models.TextField()
    common_name = models.CharField(_("common name"), max_length=253)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    hash_algorithm = models.CharField(_("hash algorithm"), max_length=20)
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    public_key_sha256 = models.CharField(max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.VALID)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=30, choices=RevocationReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("delivered"), default=timezone.now)
    imported = models.BooleanField(_("imported"), default=False)
    reissue_reason = models.CharField(_("reissue reason"), max_length=40, blank=True)
    # ORD-2: the code of the brand's catalog.Chain the downloads present (empty: the brand's root).
    chain = models.CharField(_("certification chain"), max_length=60, blank=True)
    # AUTO-4 [beyond]: a certificate of an outside ACME CA has no issuer of ours; it keeps the CA
    # certificates the CA sent with it (PEM, issuing CA first), which its downloads present.
    chain_pem = models.TextField(blank=True)
    # ORD-11: the replaced certificate may be revoked after a grace delay the user picks.
    revoke_scheduled_at = models.DateTimeField(_("revocation scheduled"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    objects = ScopedManager(_manager_class=CertificateManager, account="account")

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at", "-id"]
        indexes = [
            # An order's latest certificate (list columns); an account's certificates by state and end.
            models.Index(fields=["order", "-created_at", "-id"], name="certificate_order_latest"),
            models.Index(fields=["account", "state", "not_after"], name="certificate_account_state"),
            # ORD-10, issue 17: the certificates ending in a renewal window, whatever their state.
            models.Index(fields=["account", "not_after"], name="certificate_account_end"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "serial"],
                condition=models.Q(issuer__isnull=False),
                name="certificate_serial_unique_per_issuer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial})"


class BlockedKey(models.Model):
    """A public key refused on every account (ORD-6 [beyond], CA/B BR 6.1.1.3 (5)): Debian weak keys
    (CVE-2008-0166) and other published keys, loaded by `manage.py import_weak_keys`. Global data."""

    class Reason(models.TextChoices):
        DEBIAN = "debian", _("Debian weak key (CVE-2008-0166)")
        PUBLISHED = "published", _("Published private key")

    sha256 = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the SubjectPublicKeyInfo DER
    reason = models.CharField(max_length=20, choices=Reason.choices)
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("blocked key")
        verbose_name_plural = _("blocked keys")

    def __str__(self) -> str:
        return self.sha256


class ModulusBucket(models.Model):
    """ORD-6 shared primes (issue 13): the product of up to `SharedPrimes.BUCKET_SIZE` stored RSA moduli,
    so a new key costs one gcd per bucket. The product is kept as big-endian bytes (portable to SQLite
    and PostgreSQL); it only grows, multiplied under a row lock when a modulus is added. Global data."""

    product = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    # A new random value at every change: processes cache products by it (a size alone could repeat after a
    # rolled-back addition).
    stamp = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("RSA modulus bucket")
        verbose_name_plural = _("RSA modulus buckets")

    def __str__(self) -> str:
        return f"bucket {self.pk} ({self.size})"


class KnownModulus(models.Model):
    """An RSA modulus the portal has seen (accepted CSR, issued or imported certificate): a new key sharing
    a prime with it is refused. Global data: never shown, and its owner is never revealed."""

    sha256 = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the modulus' big-endian bytes
    modulus = models.BinaryField()
    bucket = models.ForeignKey(ModulusBucket, on_delete=models.CASCADE, related_name="moduli")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("known RSA modulus")
        verbose_name_plural = _("known RSA moduli")

    def __str__(self) -> str:
        return self.sha256


class DcvCheck(models.Model):
    """ORD-8: one domain control validation of one name of an order (CA/B BR 3.2.2.4), or, without
    an order, one started from the domain's page ahead of any order (AUTO-3), which later orders
    and ACME reuse within the BR 4.2.1 period like any other."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="dcv_checks", null=True, blank=True
    )
    domain = models.CharField(_("domain"), max_length=253)
    method = models.CharField(_("method"), max_length=10, choices=DcvMethod.choices)
    token = models.CharField(max_length=64, editable=False)  # random, >= 112 bits (BR 1.6.1 Random Value)
    email_address = models.EmailField(_("approval address"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_result = models.TextField(_("what the portal saw"), blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("domain validation")
        verbose_name_plural = _("domain validations")
        ordering = ["order", "domain"]

    def __str__(self) -> str:
        return f"{self.domain} ({self.method})"


class Domain(models.Model):
    """AUTO-3: a domain of the account: every domain its orders validated (a row is made with the
    first DCV check of the name, `orders.signals`) and those registered ahead of any order.

    A locked domain refuses every new order and ACME order for itself and the names under it
    (`orders.services.domain_registry.locked_refusal`); only the Administrative right locks or
    unlocks it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("domain"), max_length=253)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    registered_by = models.ForeignKey(  # None: the domain came from an order's validation
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="domain_unique_per_account")]

    def __str__(self) -> str:
        return self.name

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class OrderComment(models.Model):
    """LIFE-2: a comment on an order; staff comments addressed to the customer say why it is blocked."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=200)
    from_staff = models.BooleanField(_("from our team"), default=False)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("order comment")
        verbose_name_plural = _("order comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.author_name}"


class AuditDocumentKind(models.TextChoices):
    """LIFE-8: documents the audit may ask for."""

    KBIS = "kbis", _("Company registration extract (Kbis)")
    IDENTITY = "identity", _("Identity document")
    MANDATE = "mandate", _("Signed mandate")
    SUBSCRIBER_AGREEMENT = "agreement", _("Signed subscriber agreement")
    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    OTHER = "other", _("Other document")


class DocumentRequest(models.Model):
    """LIFE-8: a document the auditor asks for; the status page counts the open ones."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="document_requests")
    kind = models.CharField(_("type"), max_length=20, choices=AuditDocumentKind.choices)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    fulfilled_at = models.DateTimeField(_("received"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("document request")
        verbose_name_plural = _("document requests")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


def audit_document_path(instance: AuditDocument, filename: str) -> str:
    return f"audit/{instance.account_id}/{instance.order_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class AuditDocument(models.Model):
    """LIFE-8: a document the customer sends for the audit of an order."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="audit_documents")
    request = models.ForeignKey(
        DocumentRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(_("type"), max_length=20, choices=AuditDocumentKind.choices)
    file = models.FileField(_("file"), upload_to=audit_document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    comment = models.TextField(_("comment"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("audit document")
        verbose_name_plural = _("audit documents")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ExternalOrderLink(models.Model):
    """ORD-5: a link for one product that lets anyone submit an order without an account; such
    orders land in "awaiting approval"."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    period_months = models.PositiveSmallIntegerField(_("period (months)"))
    label = models.CharField(_("label"), max_length=100)
    token = models.CharField(max_length=64, unique=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("external order link")
        verbose_name_plural = _("external order links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.token:
            self.token = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)


# Robots' records (JOBS-1, JOBS-2, JOBS-5, JOBS-6): at the end, as they refer to the models above.
from .prevalidation_models import PreValidation  # noqa: E402, F401
from .robot_models import (  # noqa: E402, F401
    AutoRenewalFiling,
    CertificateNotice,
    ReissueRecommendation,
    RenewalSettings,
)

# AUTO-4 [beyond]: the outside ACME CA of a brand and an order's issuance there.
from .upstream_models import UpstreamAcmeAccount, UpstreamIssuance  # noqa: E402, F401
