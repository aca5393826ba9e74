"""ACME endpoints and the protocol's objects (AUTO-2, RFC 8555).

An `AcmeEndpoint` is what the account creates in Administration › ACME: one product, one holder
organisation, its contacts and period, and an External Account Binding key (RFC 8555 7.3.4). ACME
clients register `AcmeAccount`s on it (a JWK each), place `AcmeOrder`s whose `AcmeAuthorization`s
carry `AcmeChallenge`s; a finalized ACME order becomes a real portal order (`order`), billed and
issued like any other. `AcmeNonce` rows are the nonces handed out (RFC 8555 6.5), deleted on use.

Every model is owned by an account and scoped (django-scopes); the protocol views are anonymous,
so they open the scope of the endpoint they serve themselves.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account, Contact, Organisation, User
from catalog.models import Product
from orders.models import Order


def new_id() -> str:
    return secrets.token_urlsafe(12)


def new_token() -> str:
    """RFC 8555 8.1: a challenge token carries at least 128 bits of entropy (here 256)."""
    return secrets.token_urlsafe(32)


class AcmeEndpoint(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="acme_endpoints")
    public_id = models.CharField(max_length=24, unique=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=100)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    period_months = models.PositiveSmallIntegerField(_("validity period (months)"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, verbose_name=_("holder organisation")
    )
    admin_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("administrative contact")
    )
    technical_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("technical contact")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # RFC 8555 7.3.4: the key identifier is public (the client sends it in the EAB's "kid"); the
    # HMAC key must be *recoverable* because the server recomputes the HMAC of each binding, so it
    # cannot be hashed like a password: it is stored encrypted (acme.services.secrets).
    eab_key_id = models.CharField(max_length=40, unique=True, editable=False)
    eab_hmac_encrypted = models.TextField(editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def usable(self) -> bool:
        return self.status == self.Status.ACTIVE


class AcmeAccount(models.Model):
    """RFC 8555 7.1.2: an ACME account, identified by its public key (JWK thumbprint)."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        DEACTIVATED = "deactivated", _("Deactivated")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(AcmeEndpoint, on_delete=models.CASCADE, related_name="acme_accounts")
    public_id = models.CharField(max_length=24, unique=True, default=new_id, editable=False)
    jwk = models.JSONField()
    thumbprint = models.CharField(max_length=64)
    contact = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALID)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(account="account")

    def __str__(self) -> str:
        return self.public_id

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "thumbprint"], name="acme_account_key_per_endpoint")
        ]


class AcmeStatus(models.TextChoices):
    """RFC 8555 7.1.6 statuses of orders, authorizations and challenges."""

    PENDING = "pending"
    READY = "ready"
    PROCESSING = "processing"
    VALID = "valid"
    INVALID = "invalid"
    DEACTIVATED = "deactivated"
    EXPIRED = "expired"
    REVOKED = "revoked"


class AcmeOrder(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    acme_account = models.ForeignKey(AcmeAccount, on_delete=models.CASCADE, related_name="orders")
    public_id = models.CharField(max_length=24, unique=True, default=new_id, editable=False)
    status = models.CharField(max_length=12, choices=AcmeStatus.choices, default=AcmeStatus.PENDING)
    identifiers = models.JSONField()  # ["example.com", "*.example.com"] (type dns)
    expires_at = models.DateTimeField()
    replaces = models.CharField(max_length=200, blank=True)  # RFC 9773 5: the ARI certID renewed
    order = models.OneToOneField(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="acme")
    error = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(account="account")

    def __str__(self) -> str:
        return self.public_id


class AcmeAuthorization(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    acme_order = models.ForeignKey(AcmeOrder, on_delete=models.CASCADE, related_name="authorizations")
    public_id = models.CharField(max_length=24, unique=True, default=new_id, editable=False)
    value = models.CharField(max_length=253)  # the identifier without "*."
    wildcard = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=AcmeStatus.choices, default=AcmeStatus.PENDING)
    expires_at = models.DateTimeField()

    objects = ScopedManager(account="account")

    def __str__(self) -> str:
        return self.public_id


class AcmeChallenge(models.Model):
    class Type(models.TextChoices):
        HTTP_01 = "http-01"
        DNS_01 = "dns-01"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    authorization = models.ForeignKey(AcmeAuthorization, on_delete=models.CASCADE, related_name="challenges")
    public_id = models.CharField(max_length=24, unique=True, default=new_id, editable=False)
    type = models.CharField(max_length=10, choices=Type.choices)
    token = models.CharField(max_length=64, default=new_token)
    status = models.CharField(max_length=12, choices=AcmeStatus.choices, default=AcmeStatus.PENDING)
    validated_at = models.DateTimeField(null=True, blank=True)
    seen = models.TextField(blank=True)  # what the portal's check saw (shown like a DCV result)
    error = models.JSONField(null=True, blank=True)

    objects = ScopedManager(account="account")

    def __str__(self) -> str:
        return self.public_id


class AcmeNonce(models.Model):
    """RFC 8555 6.5: a nonce handed out in Replay-Nonce; deleted when a request uses it. Not
    account-owned: newNonce is anonymous and a nonce is good on any endpoint."""

    value = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.value
