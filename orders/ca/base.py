"""The contract every CA connector fulfils (AUTO-4): issue, revoke, give the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509

if TYPE_CHECKING:
    from accounts.models import Organisation
    from catalog.models import Product
    from orders.models import Certificate, CertificateAuthority


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate a connector just made; the order service stores it as an orders.Certificate."""

    pem: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    issuer: CertificateAuthority | None  # None: an outside CA's (AUTO-4 [beyond])
    fingerprint_sha256: str
    public_key_sha256: str
    hash_algorithm: str
    common_name: str
    chain_pem: str = ""  # an outside CA's certificates above the leaf, issuing CA first
    issuer_name: str = ""  # RFC 4514 name of an outside issuer

    def chain_certificates(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self.chain_pem.encode()) if self.chain_pem else []

    def certificate_fields(self) -> dict[str, Any]:
        """Keyword arguments for `Certificate(account=..., order=..., **fields)`."""
        return {
            "issuer": self.issuer,
            "serial": self.serial_hex,
            "pem": self.pem,
            "common_name": self.common_name,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "hash_algorithm": self.hash_algorithm,
            "fingerprint_sha256": self.fingerprint_sha256,
            "public_key_sha256": self.public_key_sha256,
            "chain_pem": self.chain_pem,
            "issuer_name": self.issuer_name,
        }


class CAConnector(Protocol):
    """What the order workflow asks of a CA, whether embedded or reached over ACME.

    `remote` says the CA is reached over the network (slow, may be down): the order workflow then
    issues in a task, outside any row lock (orders.services.upstream), not in the request.
    """

    remote: bool

    def issue(
        self,
        *,
        product: Product,
        csr_pem: str,
        common_name: str,
        names: list[str],
        organisation: Organisation | None = None,
        not_after: datetime | None = None,
        now: datetime | None = None,
        options: dict[str, Any] | None = None,
    ) -> IssuedCertificate:
        """Issue a certificate for the CSR's key (raises orders.csr.CsrError for a refused CSR).
        `options` are the order's type-specific choices (PSD2 roles and authority...)."""
        ...

    def revoke(self, certificate: Certificate, reason: str, when: datetime | None = None) -> Certificate:
        """Revoke (RFC 5280 5.3.1 reason, an orders.models.RevocationReason value); idempotent."""
        ...

    def chain(
        self,
        certificate_or_issuer: Certificate | IssuedCertificate | CertificateAuthority,
    ) -> list[x509.Certificate]:
        """The CA certificates above a certificate: issuing CA first, root last."""
        ...
