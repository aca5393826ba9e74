"""Administration › ACME: the account's ACME endpoints (AUTO-2).

An endpoint is one product, one holder organisation (with its administrative and technical
contacts) and one validity period; ACME clients bind to it with its EAB key id and HMAC key, shown
once at creation. Who: the super user or a user with the Technical right (ADM-2: the right to
order; every certificate an endpoint issues is an order of the account).

Refused at creation (and again at each ACME order): a product that is not a server certificate, an
OV/EV product without a valid pre-validation of the holder organisation of that type by the
product's brand (AUTO-1, `orders.services.prevalidation`), a product the account may not
order (CON-1 contract, CON-2 consent), a period not sold, and an account that cannot pay an order
without a person: tokens of the product, enough euro balance, or the monthly formula (ORD-9's
`offer`, the same rules as the review page).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import Account, Contact, Organisation, Right, User
from catalog.models import Product
from contracts.services.rules import refusal
from orders.services.payment import FORMULA_METHODS, offer
from orders.services.prevalidation import covering_product
from orders.services.pricing import PricingError, period_price

from ..models import AcmeEndpoint
from . import eab

E = AcmeEndpoint.Status


class EndpointError(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: AcmeEndpoint
    hmac_key: str  # base64url, shown once


def product_refusal(product: Product) -> str | None:
    """Why this product cannot be served by ACME, or None."""
    if not product.active or not product.brand.active or not product.is_server or not product.requires_csr:
        return _("ACME issues server certificates only: choose a server certificate product.")
    return None


def prevalidation_refusal(organisation: Organisation, product: Product) -> str | None:
    """AUTO-1: an OV/EV product needs a valid pre-validation of the holder organisation, of the
    product's type, by the product's brand: nobody checks the organisation of an ACME order."""
    if product.validation not in (Product.Validation.OV, Product.Validation.EV):
        return None
    if covering_product(organisation, product) is not None:
        return None
    return _(
        "%(validation)s certificates are issued by ACME only for an organisation with a valid "
        "%(validation)s pre-validation by %(brand)s, and %(organisation)s has none: ask for one in "
        "Your orders › Pre-validation, or choose a DV product."
    ) % {"validation": product.validation, "brand": product.brand.name, "organisation": organisation.name}


def payment_method(account: Account, product: Product, months: int) -> str | None:
    """ORD-9: the formula's own way an ACME order is paid without a person (tokens, balance,
    monthly invoice), the first `offer` proposes; None when the account has none now."""
    try:
        public_total = period_price(product, months)
    except PricingError:
        return None
    current = offer(account, product, months, public_total)
    return next((m for m in current.methods if m in FORMULA_METHODS), None)


def payment_refusal(account: Account, product: Product, months: int) -> str | None:
    if payment_method(account, product, months) is None:
        return _(
            "ACME orders are paid without anyone at the keyboard: the account needs tokens of this "
            "product, enough euro balance, or the monthly invoice formula."
        )
    return None


def ordering_refusal(
    account: Account, product: Product, months: int, organisation: Organisation | None
) -> str | None:
    """Every reason an endpoint of `product` for `organisation` may not order now (creation, then
    each ACME order). `organisation` None skips the pre-validation check: only the endpoint form
    does so, while no organisation is chosen (the form then refuses anyway)."""
    refused = product_refusal(product)
    if refused:
        return refused
    if organisation is not None:
        refused = prevalidation_refusal(organisation, product)
        if refused:
            return refused
    contract = refusal(account, product)
    if contract is not None:
        return str(contract.message)
    try:
        period_price(product, months)
    except PricingError:
        return _("This product is not sold for this period.")
    return payment_refusal(account, product, months)


def create_endpoint(
    account: Account,
    *,
    name: str,
    product: Product,
    period_months: int,
    organisation: Organisation,
    admin_contact: Contact,
    technical_contact: Contact,
    by: User,
    request: HttpRequest | None = None,
) -> NewEndpoint:
    """AUTO-2: a new endpoint and its EAB key (the HMAC key returned once, never again)."""
    if not by.has_right(Right.TECHNICAL):
        raise EndpointError(_("An ACME key orders certificates: creating one needs the Technical right."))
    owned = [organisation.account_id, admin_contact.account_id, technical_contact.account_id]
    if any(owner != account.pk for owner in owned):
        raise EndpointError(_("The organisation and contacts must belong to your account."))
    if admin_contact.organisation_id != organisation.pk:
        raise EndpointError(_("The administrative contact must belong to the holder organisation."))
    refused = ordering_refusal(account, product, period_months, organisation)
    if refused:
        raise EndpointError(refused)
    key = eab.new_hmac_key()
    with transaction.atomic():
        endpoint = AcmeEndpoint.objects.create(
            account=account,
            name=name.strip(),
            product=product,
            period_months=period_months,
            organisation=organisation,
            admin_contact=admin_contact,
            technical_contact=technical_contact,
            eab_key_id=eab.new_key_id(),
            eab_hmac_encrypted=eab.encrypt(key),
            created_by=by,
        )
        log_action(
            "acme.endpoint_created",
            obj=endpoint,
            user=by,
            request=request,
            name=endpoint.name,
            product=product.code,
            organisation=organisation.public_id,
            key_id=endpoint.eab_key_id,
        )
    return NewEndpoint(endpoint, eab.b64url(key))


def _change(endpoint: AcmeEndpoint, target: str, code: str, by: User, request: HttpRequest | None) -> bool:
    with transaction.atomic():
        locked = AcmeEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        allowed: dict[str, set[str]] = {
            E.DISABLED: {E.ACTIVE},
            E.ACTIVE: {E.DISABLED},
            E.REVOKED: {E.ACTIVE, E.DISABLED},
        }
        if locked.status not in allowed[target]:
            return False
        locked.status, locked.changed_at = target, timezone.now()
        locked.save(update_fields=["status", "changed_at"])
        log_action(code, obj=locked, user=by, request=request, name=locked.name)
    endpoint.status = target
    return True


def disable_endpoint(endpoint: AcmeEndpoint, *, by: User, request: HttpRequest | None = None) -> bool:
    """The endpoint refuses every ACME request until enabled again (its key stays)."""
    return _change(endpoint, E.DISABLED, "acme.endpoint_disabled", by, request)


def enable_endpoint(endpoint: AcmeEndpoint, *, by: User, request: HttpRequest | None = None) -> bool:
    return _change(endpoint, E.ACTIVE, "acme.endpoint_enabled", by, request)


def revoke_endpoint(endpoint: AcmeEndpoint, *, by: User, request: HttpRequest | None = None) -> bool:
    """For good: the key and every ACME account bound with it stop working (certificates already
    issued stay valid; revoke them from their orders)."""
    return _change(endpoint, E.REVOKED, "acme.endpoint_revoked", by, request)
