"""CA connectors (AUTO-4): the one place that says which connector serves a brand."""

from __future__ import annotations

from cryptography import x509

from catalog.models import Brand
from orders.models import Certificate, UpstreamAcmeAccount

from .acme_client import AcmeClientCA, UpstreamError, chain_from_pem
from .base import CAConnector, IssuedCertificate
from .embedded import EmbeddedCA

__all__ = [
    "AcmeClientCA",
    "CAConnector",
    "EmbeddedCA",
    "IssuedCertificate",
    "UpstreamError",
    "certificate_chain",
    "get_connector",
    "revoking_connector",
    "upstream_account",
]


def upstream_account(brand: Brand) -> UpstreamAcmeAccount | None:
    """The enabled outside ACME CA of `brand` (AUTO-4 [beyond]), if the staff configured one."""
    return UpstreamAcmeAccount.objects.filter(brand_id=brand.pk, enabled=True).first()


def get_connector(brand: Brand) -> CAConnector:
    """The connector serving `brand`: its outside ACME CA when one is configured and enabled
    (Administration › Upstream ACME CAs), else the embedded CA."""
    account = upstream_account(brand)
    return AcmeClientCA(account) if account is not None else EmbeddedCA()


def revoking_connector(certificate: Certificate, brand: Brand) -> CAConnector:
    """The connector that revokes `certificate`: the embedded CA for what it signed, else the
    brand's (its outside CA), whatever serves the brand for new certificates today."""
    return EmbeddedCA() if certificate.issuer_id is not None else get_connector(brand)


def certificate_chain(certificate: Certificate) -> list[x509.Certificate]:
    """The CA certificates above a stored certificate, issuing CA first: the embedded CA's for the
    certificates it signed, the outside CA's own chain for the others (whatever the brand's
    connector is today), none for an imported one."""
    if certificate.issuer_id is not None:
        return EmbeddedCA().chain(certificate)
    return chain_from_pem(certificate.chain_pem)
