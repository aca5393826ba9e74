"""AUTO-4 [beyond]: a brand served by an outside CA over ACME (RFC 8555), and the progress of an
order's issuance there.

Imported at the end of orders.models so Django registers these models with the app; they name the
order models as "orders.Order", so this module imports nothing from orders.models (no cycle).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account
from catalog.models import Brand


class UpstreamAcmeAccount(models.Model):
    """The outside ACME CA serving a brand instead of the embedded CA (orders.ca.get_connector).

    The EAB HMAC key and the account key are secrets: stored encrypted (orders.ca.secrets), never
    shown again once saved. The account is registered with the CA on first issuance.
    """

    brand = models.OneToOneField(
        Brand, on_delete=models.PROTECT, related_name="upstream_acme", verbose_name=_("brand")
    )
    enabled = models.BooleanField(
        _("serves the brand"),
        default=True,
        help_text=_("When off, the brand's certificates are issued by the embedded CA again."),
    )
    directory_url = models.URLField(_("ACME directory URL"), max_length=500)
    eab_key_id = models.CharField(_("EAB key identifier"), max_length=200, blank=True)
    eab_hmac_encrypted = models.TextField(editable=False, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    account_key_encrypted = models.TextField(editable=False, blank=True)
    account_url = models.CharField(_("ACME account URL"), max_length=500, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("upstream ACME CA")
        verbose_name_plural = _("upstream ACME CAs")

    def __str__(self) -> str:
        return f"{self.brand} → {self.directory_url}"


class UpstreamIssuance(models.Model):
    """An order's issuance at its brand's outside CA: queued, then done or failed (with the reason
    staff read on the order and a retry). One row per order; a retry reuses it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        FAILED = "failed", _("Failed")
        DONE = "done", _("Done")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="upstream_issuance")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.TextField(_("reason of the last failure"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    acme_order_url = models.CharField(_("order URL at the CA"), max_length=500, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("upstream issuance")
        verbose_name_plural = _("upstream issuances")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"
