"""A new order prefilled from a past one (ORD-10 renewal, ORD-12 clone and migration).

The renewal, clone and migration lists link to the order form with
`?from=<reference>&origin=<renewal|clone|migration>`; the form then starts from
`initial_from_order`. The product ordered is always the one in the URL: for a migration it is
ours and the source order may be of another brand, so only what the target product can take is
kept (its periods, its chains); the rest is left for the user to choose. Whatever the source, the
form validates everything again on submission.
"""

from __future__ import annotations

from typing import Any

from catalog.models import Product

from ..models import Order, OrderOrigin
from .kinds import CsrMode, profile_for

PREFILL_ORIGINS = (OrderOrigin.RENEWAL, OrderOrigin.CLONE, OrderOrigin.MIGRATION)


class PrefillError(ValueError):
    """The origin is not one a form can be prefilled for."""


def initial_from_order(order: Order, *, origin: str, product: Product | None = None) -> dict:
    """The order form's initial values from `order`, for a renewal, a clone or a migration.

    `product` is the product being ordered (the source's own product when omitted). A renewal is
    identical (ORD-10): the same CSR is proposed (a key may be certified again on renewal) and
    the customer's reference kept; a clone or a migration starts without a CSR, since a new
    certificate should have a new key (ORD-6 warns about a reused key).
    """
    if origin not in PREFILL_ORIGINS:
        raise PrefillError(origin)
    product = product or order.product
    profile = profile_for(product)
    initial: dict = {
        "origin": origin,
        "source_order": order.reference,
        "organisation": order.organisation.public_id,
        "admin_contact": order.admin_contact.public_id,
        "technical_contact": order.technical_contact.public_id,
        "technical_same_as_admin": order.technical_contact_id == order.admin_contact_id,
    }
    if any(period.months == order.period_months for period in product.periods.all()):
        initial["months"] = order.period_months
    if origin == OrderOrigin.RENEWAL and order.customer_reference:
        initial["customer_reference"] = order.customer_reference
    if profile.names and profile_for(order.product).names:
        initial.update(common_name=order.common_name, sans="\n".join(order.sans))
        if order.dcv_method:
            initial["dcv_method"] = order.dcv_method
    if profile.server_software and order.server_software:
        initial.update(
            server_software=order.server_software, server_software_other=order.server_software_other
        )
    if profile.legal_representative and order.legal_representative is not None:
        initial["legal_same_as_admin"] = order.legal_representative_id == order.admin_contact_id
        initial["legal_representative"] = order.legal_representative.public_id
    initial.update(_options(order, profile))
    if profile.csr and order.csr and origin == OrderOrigin.RENEWAL:
        initial.update(csr=order.csr, csr_mode=CsrMode.MANUAL)
    return initial


def _options(order: Order, profile: Any) -> dict:
    """The source's type-specific choices that the target product offers too."""
    options, initial = order.options or {}, {}
    modes = {mode.value for mode in profile.csr_modes}
    if options.get("csr_mode") in modes:
        initial["csr_mode"] = options["csr_mode"]
    if profile.assistance and "assistance" in options:
        initial["assistance"] = bool(options["assistance"])
    if profile.names and options.get("licences"):
        initial["licences"] = options["licences"]
    if options.get("chain") in {chain.code for chain in profile.chains}:
        initial["chain"] = options["chain"]
    if profile.psd2:
        for key in ("nca_name", "nca_id", "authorisation_number"):
            if options.get(key):
                initial[key] = options[key]
        if options.get("psd2_roles"):
            initial["psd2_roles"] = list(options["psd2_roles"])
    if profile.is_signature:
        for key in ("user_type", "users", "document_packs", "eidas_ids"):
            if key in options:
                initial[key] = options[key]
    return initial
