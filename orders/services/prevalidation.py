"""AUTO-1: pre-validation of an organisation by an authority (brand).

The account asks (Technical right, CON-2 consent of the brand accepted); staff validate or reject
it in the back office, which emails the contact and the account's contact points. A validated
pre-validation is reused for BR 4.2.1's period (825 days OV and code signing, 398 days EV:
`orders.prevalidation_models.REUSE_DAYS`); while valid, the OV/EV orders of that organisation for
that brand skip the organisation check it covers (status page "OV callback" step) and ACME may
serve OV/EV products for it (acmeserver.services.endpoints).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, Contact, Organisation, Right, User
from catalog.models import Brand, Product
from contracts.services.consent import brand_accepted

from ..models import Order
from ..prevalidation_models import PreValidation, reuse_period, types_for

P = PreValidation.State


@dataclass
class PreValidationError(ValueError):
    """The request is refused; `url` and `link` point to what fixes it (the consent page)."""

    message: str
    url: str = ""
    link: str = ""

    def __str__(self) -> str:
        return self.message


def account_prevalidations(account: Account) -> QuerySet[PreValidation]:
    return PreValidation.objects.filter(account=account).select_related(
        "brand", "organisation", "contact", "requested_by"
    )


def brand_types(brand: Brand) -> list[str]:
    """The pre-validation types `brand` offers: those of its active products (guide 6.7.1: the
    list varies with the authority)."""
    found: set[str] = set()
    for product in Product.objects.filter(brand=brand, active=True):
        kind = types_for(product)
        if kind is not None:
            found.add(kind)
    return [value for value in PreValidation.Type.values if value in found]


def offered_brands() -> list[Brand]:
    """Active brands offering at least one pre-validation type."""
    return [brand for brand in Brand.objects.filter(active=True).order_by("name") if brand_types(brand)]


def consent_refusal(account: Account, brand: Brand) -> PreValidationError | None:
    """CON-2: a brand whose data processing terms the account has not accepted cannot be pre-validated."""
    if brand_accepted(account, brand):
        return None
    return PreValidationError(
        _(
            "Your account has not accepted the data processing terms of %(brand)s: it cannot be asked "
            "for a pre-validation until the super user or an administrator of your account accepts them."
        )
        % {"brand": brand.name},
        reverse("contracts:consent_brand", args=[brand.code]),
        _("Read and decide"),
    )


def request_prevalidation(
    account: Account,
    *,
    brand: Brand,
    validation_type: str,
    organisation: Organisation,
    contact: Contact,
    by: User,
    request: HttpRequest | None = None,
) -> PreValidation:
    """AUTO-1: record the account's request; staff then validate or reject it."""
    if not by.has_right(Right.TECHNICAL) or by.account_id != account.pk:
        raise PreValidationError(_("Asking for a pre-validation needs the Technical right."))
    if organisation.account_id != account.pk or contact.account_id != account.pk:
        raise PreValidationError(_("The organisation and contact must belong to your account."))
    if contact.organisation_id != organisation.pk:
        raise PreValidationError(_("The contact must belong to the organisation to pre-validate."))
    if validation_type not in brand_types(brand):
        raise PreValidationError(
            _("%(brand)s offers no pre-validation of this type.") % {"brand": brand.name}
        )
    refused = consent_refusal(account, brand)
    if refused is not None:
        raise refused
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)  # one request at a time per account
        now = timezone.now()
        for existing in PreValidation.objects.filter(
            account=account,
            brand=brand,
            validation_type=validation_type,
            organisation=organisation,
            state__in=[P.REQUESTED, P.VALIDATED],
        ):
            if existing.state == P.REQUESTED or existing.is_valid(now):
                raise PreValidationError(
                    _(
                        "This organisation already has a pending or valid pre-validation of this type for %(brand)s."
                    )
                    % {"brand": brand.name}
                )
        prevalidation = PreValidation.objects.create(
            account=account,
            brand=brand,
            validation_type=validation_type,
            organisation=organisation,
            contact=contact,
            requested_by=by,
            requested_at=now,
        )
        log_action(
            "prevalidation.requested",
            obj=prevalidation,
            user=by,
            request=request,
            brand=brand.code,
            type=validation_type,
            organisation=organisation.public_id,
        )
    return prevalidation


def _notify(prevalidation: PreValidation, template: str) -> None:
    """The contact and the requester are told, and the account's contact points (ADM-6) get a copy."""
    account = prevalidation.account
    recipients = [prevalidation.contact.email]
    requester = prevalidation.requested_by
    if requester is not None and requester.email and requester.email not in recipients:
        recipients.append(requester.email)
    language = account.language
    with translation.override(language):
        context = {
            "account_name": account.name,
            "brand": prevalidation.brand.name,
            "type": str(PreValidation.Type(prevalidation.validation_type).label),
            "organisation": prevalidation.organisation.name,
            "expires_on": prevalidation.expires_at.date().isoformat() if prevalidation.expires_at else "",
            "reason": prevalidation.reason,
            "url": settings.SITE_URL + reverse("prevalidation:detail", args=[prevalidation.public_id]),
        }
    send_mail_on_commit(template, recipients, context, language, account=account)


def _decide(
    prevalidation: PreValidation,
    target: str,
    *,
    by: User,
    request: HttpRequest | None,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        locked = PreValidation.objects.select_for_update().get(pk=prevalidation.pk)
        if locked.state != P.REQUESTED:
            return False  # decided already (a double click, a second staff member)
        locked.state, locked.decided_by = target, by
        if target == P.VALIDATED:
            locked.validated_at = now
            locked.expires_at = now + reuse_period(locked.validation_type)
        else:
            locked.rejected_at = now
            locked.reason = reason.strip()
        locked.save(
            update_fields=["state", "decided_by", "validated_at", "expires_at", "rejected_at", "reason"]
        )
        details: dict[str, Any] = {"brand": locked.brand.code, "type": locked.validation_type}
        if locked.expires_at is not None:
            details["expires_at"] = locked.expires_at.date().isoformat()
        if target == P.REJECTED:
            details["reason"] = locked.reason
        log_action("prevalidation." + target, obj=locked, user=by, request=request, **details)
        _notify(locked, "prevalidation_" + target)
    for field in ("state", "decided_by", "validated_at", "expires_at", "rejected_at", "reason"):
        setattr(prevalidation, field, getattr(locked, field))
    return True


def validate_prevalidation(
    prevalidation: PreValidation,
    *,
    by: User,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> bool:
    """Staff: the organisation is validated, reusable until now + the BR 4.2.1 period of its type.
    False when it was no longer awaiting a decision."""
    return _decide(prevalidation, P.VALIDATED, by=by, request=request, now=now)


def reject_prevalidation(
    prevalidation: PreValidation, *, by: User, reason: str, request: HttpRequest | None = None
) -> bool:
    """Staff: refused, with the reason the customer reads. False when no longer awaiting a decision."""
    if not reason.strip():
        raise PreValidationError(_("Say why the pre-validation is rejected: the customer reads it."))
    return _decide(prevalidation, P.REJECTED, by=by, request=request, reason=reason)


def covering(
    organisation: Organisation, brand: Brand, validation_type: str, now: datetime.datetime | None = None
) -> PreValidation | None:
    """The valid pre-validation of `organisation` by `brand` of that type lasting longest, or None."""
    now = now or timezone.now()
    return (
        PreValidation.objects.filter(
            account_id=organisation.account_id,
            organisation=organisation,
            brand=brand,
            validation_type=validation_type,
            state=P.VALIDATED,
            expires_at__gt=now,
        )
        .order_by("-expires_at")
        .first()
    )


def covering_product(
    organisation: Organisation, product: Product, now: datetime.datetime | None = None
) -> PreValidation | None:
    """The valid pre-validation covering `product`'s organisation check for `organisation`."""
    kind = types_for(product)
    if kind is None:
        return None
    return covering(organisation, product.brand, kind, now)


def covering_order(order: Order, now: datetime.datetime | None = None) -> PreValidation | None:
    """The pre-validation that spares `order` its organisation check (OV/EV), or None."""
    if order.organisation_id is None:
        return None
    return covering_product(order.organisation, order.product, now)


def covered_note(prevalidation: PreValidation) -> str:
    """What the status page says of a covered step."""
    assert prevalidation.expires_at is not None
    return _("Covered by the %(type)s pre-validation of %(organisation)s by %(brand)s until %(date)s.") % {
        "type": prevalidation.validation_type
        if prevalidation.validation_type != PreValidation.Type.CODE_SIGNING
        else PreValidation.Type.CODE_SIGNING.label,
        "organisation": prevalidation.organisation.name,
        "brand": prevalidation.brand.name,
        "date": formats.date_format(timezone.localtime(prevalidation.expires_at).date()),
    }
