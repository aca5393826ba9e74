"""AUTO-1: pre-validations of an organisation by an authority (brand).

Imported at the end of orders.models so Django registers the model with the app; it imports
nothing from orders.models (no import cycle).
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from accounts.models import Account, Contact, Organisation
from catalog.models import Brand, Product

# CA/B Forum Baseline Requirements 4.2.1 (and EV Guidelines 11.14.3): validated organisation data
# may be reused for 825 days (OV) and 398 days, i.e. 13 months (EV). Code signing follows the
# Code Signing BR 4.2.1 (825 days for organisation identity).
REUSE_DAYS: dict[str, int] = {"OV": 825, "EV": 398, "code_signing": 825}


class PreValidation(models.Model):
    """AUTO-1: the account asks an authority to validate an organisation ahead of its orders;
    staff validate or reject it in the back office. While valid, OV/EV orders (and ACME endpoints)
    of that organisation for that brand skip the organisation check it covers."""

    class Type(models.TextChoices):
        OV = "OV", _("Organisation validation (OV)")
        EV = "EV", _("Extended validation (EV)")
        CODE_SIGNING = "code_signing", _("Code signing")

    class State(models.TextChoices):
        # Their own context: in French a pre-validation is feminine ("validée").
        REQUESTED = "requested", pgettext_lazy("pre-validation", "Requested")
        VALIDATED = "validated", pgettext_lazy("pre-validation", "Validated")
        REJECTED = "rejected", pgettext_lazy("pre-validation", "Rejected")
        EXPIRED = "expired", pgettext_lazy("pre-validation", "Expired")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=16, unique=True, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("authority"))
    validation_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("contact")
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    reason = models.TextField(_("reason given to the customer"), blank=True)
    staff_notes = models.TextField(_("staff notes"), blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("pre-validation")
        verbose_name_plural = _("pre-validations")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "brand", "validation_type", "state"])]

    def __str__(self) -> str:
        return f"{self.brand} {self.get_validation_type_display()} – {self.organisation.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = secrets.token_hex(6)
        super().save(*args, **kwargs)

    def current_state(self, now: datetime.datetime | None = None) -> str:
        """The state as of `now`: a validated one past its expiry reads as expired (no job needed)."""
        now = now or timezone.now()
        if self.state == self.State.VALIDATED and self.expires_at is not None and self.expires_at <= now:
            return self.State.EXPIRED
        return self.state

    def current_state_label(self) -> str:
        return str(self.State(self.current_state()).label)

    def is_valid(self, now: datetime.datetime | None = None) -> bool:
        return self.current_state(now) == self.State.VALIDATED


def reuse_period(validation_type: str) -> datetime.timedelta:
    """BR 4.2.1 / EV Guidelines 11.14.3: how long validated organisation data may be reused."""
    return datetime.timedelta(days=REUSE_DAYS[validation_type])


def types_for(product: Product) -> str | None:
    """The pre-validation type that covers `product`'s organisation check, or None (DV, IV...)."""
    if product.product_type == "code_signing":
        return PreValidation.Type.CODE_SIGNING
    if product.validation in (PreValidation.Type.OV, PreValidation.Type.EV):
        return str(product.validation)
    return None
