"""What each product type asks for when it is ordered (ORD-2, ORD-4): one profile per product.

Every product goes through the same flow (form → review → confirm → confirmation); its profile
says which parts of the form it has:

- server certificates (DV/OV/EV, multi-domain, wildcard) and PSD2 QWACs (PSD2 products that are
  publicly trusted TLS certificates): names to secure (common name + SANs), domain validation
  (ORD-8), server software, CSR, assistance option, certification chain and machine licences
  where the brand offers them;
- client certificates: nominative, so the administrative contact is the holder and their email
  address goes in the certificate; CSR pasted, made by KeyBot, or made by the holder from an
  invitation link (orders.services.invitation);
- code signing, electronic seals and PSD2 QSealCs: the holder organisation is the subject, a CSR,
  no names and no domain validation;
- site seals (a product that needs no CSR, `Product.requires_csr` False) and signature solutions:
  no CSR, no domain validation; signature solutions ask for users, document packs and eIDAS ID
  certificates (priced in orders.services.pricing).

The legal representative (ORD-2) is asked for RGS and eIDAS products: see
`needs_legal_representative`. The certification chains each brand offers are catalog data (`catalog.Chain`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import SERVER_TYPES, Brand, Product, ProductType
from catalog.models import Chain as CatalogChain

T = ProductType


class OrderKind(models.TextChoices):
    SERVER = "server", _("Server certificate")
    CLIENT = "client", _("Client certificate")
    ORGANISATION = "organisation", _("Certificate in the organisation's name")
    NO_CSR = "no_csr", _("Product without a CSR")
    SIGNATURE = "signature", _("Signature solution")


class CsrMode(models.TextChoices):
    """ORD-4, ORD-7: how the CSR reaches the order."""

    MANUAL = "manual", _("Manual: I paste a CSR made on my server or with my tools")
    KEYBOT = "keybot", _("Automatic: KeyBot makes the key and the CSR in my browser")
    INVITATION = (
        "invitation",
        _("Invitation: the holder receives a link and makes their key in their own browser"),
    )


class Psd2Role(models.TextChoices):
    """ETSI TS 119 495 5.1: the roles of a payment service provider, as the competent authority granted them."""

    ACCOUNT_SERVICING = "PSP_AS", _("Account servicing (PSP_AS)")
    PAYMENT_INITIATION = "PSP_PI", _("Payment initiation (PSP_PI)")
    ACCOUNT_INFORMATION = "PSP_AI", _("Account information (PSP_AI)")
    CARD_ISSUING = "PSP_IC", _("Issuing of card-based payment instruments (PSP_IC)")


class SignatureUserType(models.TextChoices):
    """ORD-4: the users of a signature solution, priced per user and year (orders.services.pricing)."""

    ADVANCED = "advanced", _("Advanced signature users")
    QUALIFIED = "qualified", _("Qualified signature users (eIDAS)")


@dataclass(frozen=True)
class Chain:
    code: str
    label: str
    recommended: bool = False


# The product types whose products always need a legal representative, whatever their name.
LEGAL_REPRESENTATIVE_TYPES = {T.SEAL, T.SIGNATURE, T.PSD2}
_LEGAL_MARKERS = ("rgs", "eidas")


@dataclass(frozen=True)
class OrderProfile:
    """The parts of the order form a product has (ORD-2, ORD-4)."""

    kind: OrderKind
    names: bool  # common name + SANs, classified and priced, and domain validation (ORD-8)
    csr: bool
    csr_modes: tuple[CsrMode, ...]
    server_software: bool
    assistance: bool
    psd2: bool
    legal_representative: bool
    chains: tuple[Chain, ...]

    @property
    def is_client(self) -> bool:
        return self.kind == OrderKind.CLIENT

    @property
    def is_signature(self) -> bool:
        return self.kind == OrderKind.SIGNATURE

    @property
    def invitation(self) -> bool:
        return CsrMode.INVITATION in self.csr_modes

    @property
    def recommended_chain(self) -> str:
        return next((chain.code for chain in self.chains if chain.recommended), "")


def needs_legal_representative(product: Product) -> bool:
    """ORD-2: a legal representative is asked for RGS / eIDAS products only.

    Rule: the product's code or name contains "rgs" or "eidas" (any case), or the product is an
    electronic seal certificate, a signature solution or a PSD2 certificate (all eIDAS trust
    services). A site seal (a seal product without a CSR: a logo shown on a website) is no
    electronic seal and needs none unless its name says RGS or eIDAS.
    """
    text = f"{product.code} {product.name}".casefold()
    if any(marker in text for marker in _LEGAL_MARKERS):
        return True
    if product.product_type == T.SEAL:
        return product.requires_csr
    return product.product_type in LEGAL_REPRESENTATIVE_TYPES


def _kind(product: Product) -> OrderKind:
    if product.product_type == T.SIGNATURE:
        return OrderKind.SIGNATURE
    if not product.requires_csr:
        return OrderKind.NO_CSR
    if product.product_type in SERVER_TYPES or (
        product.product_type == T.PSD2 and product.publicly_trusted_tls
    ):
        return OrderKind.SERVER
    if product.product_type == T.CLIENT:
        return OrderKind.CLIENT
    return OrderKind.ORGANISATION


def brand_chains(brand: Brand) -> tuple[Chain, ...]:
    """ORD-2, STAFF-3: the certification chains the brand offers (catalog data staff edit), the
    recommended one first. A brand with none issues under one chain and the form asks nothing."""
    return tuple(
        Chain(row.code, row.label, recommended=row.recommended)
        for row in CatalogChain.objects.filter(brand=brand, active=True)
    )


def profile_for(product: Product) -> OrderProfile:
    """ORD-2 / ORD-4: what the order form of `product` asks for."""
    kind = _kind(product)
    server = kind == OrderKind.SERVER
    modes: tuple[CsrMode, ...]
    if kind == OrderKind.CLIENT:
        modes = (CsrMode.MANUAL, CsrMode.KEYBOT, CsrMode.INVITATION)
    elif kind in {OrderKind.SERVER, OrderKind.ORGANISATION}:
        modes = (CsrMode.MANUAL, CsrMode.KEYBOT)
    else:
        modes = ()
    return OrderProfile(
        kind=kind,
        names=server,
        csr=bool(modes),
        csr_modes=modes,
        server_software=server,
        assistance=server,
        psd2=product.product_type == T.PSD2,
        legal_representative=needs_legal_representative(product),
        chains=brand_chains(product.brand) if server else (),
    )


def signature_family(product: Product) -> str:
    """ORD-1: signature solutions are listed as "software" (installed) or "platform" (online).

    A signature product whose code or name says "software" is software; the others are platforms.
    """
    return "software" if "software" in f"{product.code} {product.name}".casefold() else "platform"
