"""Import of certificates bought elsewhere (ORD-15): PEM, DER or PKCS#7 files, or a pasted PEM bundle.

Each file is read on its own: a file we cannot read gets its own message and never stops the
others (nor answers with an error page). In a chain or bundle only the end-entity certificates
are imported, the CA certificates above them are skipped. Each certificate becomes an order of
origin "import", delivered and paid at 0.00, holding one certificate marked imported, with no
issuer of ours. A certificate already on the account (same SHA-256 fingerprint), or twice in the
same upload, is listed as a duplicate and imported once.

The product of an imported order is the one the user picks for the whole upload, or else guessed
per certificate (`guess_product`): the brand from the issuer's name, the family from the extended
key usage, the names and the CA/B Forum policy identifier (BR 7.1.6.1).
"""

from __future__ import annotations

import binascii
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import Account, Contact, Organisation, User
from catalog.models import Brand, Product, ProductType

from ..csr import public_key_sha256
from ..models import Certificate, Order, OrderOrigin, OrderStatus
from ..sharedprimes import remember_certificate_pem
from .migration import OUR_BRAND_CODE
from .pricing import NameKind, classify_names

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024
MAX_FILES = 50
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----(.*?)-----END \1-----", re.DOTALL)
_CERTIFICATE_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {b"PKCS7", b"PKCS #7 SIGNED DATA", b"CMS"}
_DAYS_PER_MONTH = 30.4375

V = Product.Validation
T = ProductType
# CA/B Forum reserved policy identifiers (BR 7.1.6.1, EV Guidelines 9.3.2).
_POLICY_VALIDATION = {
    "2.23.140.1.2.1": V.DV,
    "2.23.140.1.2.2": V.OV,
    "2.23.140.1.2.3": V.IV,
    "2.23.140.1.1": V.EV,
    "2.23.140.1.3": V.EV,
}


class ImportFileError(Exception):
    """A file that cannot be imported; `message` tells the user why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportResult:
    """What an upload did, file by file; JSON-serialisable through `as_dict` (the result page)."""

    imported: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "notes": self.notes,
        }


# ---------------------------------------------------------------- reading files


def _pem_certificates(data: bytes) -> list[x509.Certificate]:
    if b"PRIVATE KEY-----" in data:
        raise ImportFileError(
            _("This file holds a private key: never send your private key. Import the certificate alone.")
        )
    certificates: list[x509.Certificate] = []
    for label, body in _PEM_BLOCK.findall(data):
        try:
            der = binascii.a2b_base64(b"".join(body.split()))
        except binascii.Error:
            raise ImportFileError(_("A PEM block of this file is damaged (invalid base64).")) from None
        if label in _CERTIFICATE_LABELS:
            certificates.append(_der_certificate(der))
        elif label in _PKCS7_LABELS:
            certificates.extend(_pkcs7_certificates(der))
        elif b"REQUEST" in label:
            raise ImportFileError(_("This is a certificate signing request (CSR), not a certificate."))
    if not certificates:
        raise ImportFileError(_("This file holds no certificate."))
    return certificates


def _der_certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ImportFileError(_("A certificate of this file is damaged and cannot be read.")) from None


def _pkcs7_certificates(der: bytes) -> list[x509.Certificate]:
    try:
        certificates = pkcs7.load_der_pkcs7_certificates(der)
    except (ValueError, UnsupportedAlgorithm):
        raise ImportFileError(_("The PKCS#7 content of this file is damaged and cannot be read.")) from None
    if not certificates:
        raise ImportFileError(_("This PKCS#7 file holds no certificate."))
    return certificates


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of one file: PEM (certificates, PKCS#7, several blocks), DER X.509 or DER PKCS#7.

    Raises ImportFileError with the user's message for anything else.
    """
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 256 KiB: a certificate file is much smaller."))
    if b"-----BEGIN" in data:
        return _pem_certificates(data)
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        pass
    try:
        certificates = pkcs7.load_der_pkcs7_certificates(data)
    except (ValueError, UnsupportedAlgorithm):
        raise ImportFileError(_("This file is neither a PEM, DER nor PKCS#7 certificate file.")) from None
    if not certificates:
        raise ImportFileError(_("This PKCS#7 file holds no certificate."))
    return certificates


def _is_ca(certificate: x509.Certificate, issuers: set[bytes]) -> bool:
    """A CA says so in basicConstraints (RFC 5280 4.2.1.9); a v1 certificate without it is a CA when it
    issued another certificate of the same file."""
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return certificate.subject.public_bytes() in issuers and certificate.subject != certificate.issuer


def split_chain(certificates: list[x509.Certificate]) -> tuple[list[x509.Certificate], int]:
    """The end-entity certificates of a file (leaves) and how many CA certificates were beside them."""
    issuers = {c.issuer.public_bytes() for c in certificates}
    leaves = [c for c in certificates if not _is_ca(c, issuers)]
    return leaves, len(certificates) - len(leaves)


# ---------------------------------------------------------------- describing a certificate


@dataclass(frozen=True)
class CertificateFacts:
    """What an imported order and certificate store, read from one X.509 certificate."""

    pem: str
    serial: str
    common_name: str
    sans: list[str]
    not_before: datetime
    not_after: datetime
    issuer_name: str
    hash_algorithm: str
    fingerprint_sha256: str
    public_key_sha256: str
    policy_validation: str | None
    usages: frozenset[str]
    subject_has_organisation: bool


def _names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    names += [e.lower() for e in san.get_values_for_type(x509.RFC822Name)]
    return list(dict.fromkeys(names))


def _first(name: x509.Name, oid: Any) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _policy_validation(certificate: x509.Certificate) -> str | None:
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return None
    for policy in policies:
        if policy.policy_identifier.dotted_string in _POLICY_VALIDATION:
            return _POLICY_VALIDATION[policy.policy_identifier.dotted_string]
    return None


def _usages(certificate: x509.Certificate) -> frozenset[str]:
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(oid.dotted_string for oid in eku)


def _hash_name(certificate: x509.Certificate) -> str:
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if algorithm is not None:
        return algorithm.name
    return (getattr(certificate.signature_algorithm_oid, "_name", "") or "unknown")[:20]


def describe(certificate: x509.Certificate) -> CertificateFacts:
    """Read what we store of a certificate; raises ImportFileError for a key type we cannot read."""
    try:
        key_sha256 = public_key_sha256(certificate.public_key())
    except (ValueError, UnsupportedAlgorithm):
        raise ImportFileError(_("The certificate's public key type is not supported.")) from None
    names = _names(certificate)
    common_name = _first(certificate.subject, NameOID.COMMON_NAME).lower() or (names[0] if names else "")
    if not common_name:
        raise ImportFileError(_("The certificate names no common name and no alternative name."))
    return CertificateFacts(
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        serial=f"{certificate.serial_number:x}",
        common_name=common_name[:253],
        sans=[n for n in names if n != common_name],
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        issuer_name=certificate.issuer.rfc4514_string()[:250],
        hash_algorithm=_hash_name(certificate),
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        public_key_sha256=key_sha256,
        policy_validation=_policy_validation(certificate),
        usages=_usages(certificate),
        subject_has_organisation=bool(_first(certificate.subject, NameOID.ORGANIZATION_NAME)),
    )


# ---------------------------------------------------------------- guessing the product


def _family(facts: CertificateFacts) -> tuple[str, str]:
    """(product type, validation) the certificate looks like."""
    validation = facts.policy_validation or (V.OV if facts.subject_has_organisation else V.DV)
    usages = facts.usages
    if ExtendedKeyUsageOID.CODE_SIGNING.dotted_string in usages:
        return T.CODE_SIGNING, validation if validation in {V.OV, V.EV} else V.OV
    server = ExtendedKeyUsageOID.SERVER_AUTH.dotted_string
    if usages and server not in usages:
        return T.CLIENT, validation if validation != V.DV else V.IV
    names = [facts.common_name, *facts.sans]
    if any(n.startswith("*.") for n in names):
        return T.WILDCARD, validation
    extra = [n for n, kind in classify_names(facts.common_name, facts.sans) if kind != NameKind.FREE]
    if extra:
        return T.MULTI_DOMAIN, validation
    by_validation: dict[str, str] = {V.EV: T.SERVER_EV, V.OV: T.SERVER_OV}
    return by_validation.get(validation, T.SERVER_DV), validation


def guess_product(facts: CertificateFacts, brands: list[Brand], products: list[Product]) -> Product | None:
    """ORD-15: the catalogue product an imported certificate most likely is.

    The brand whose name appears in the issuer's name (else ours); in it, a product of the same
    family and validation, else of the same family. None when nothing fits.
    """
    issuer = facts.issuer_name.casefold()
    brand = next((b for b in brands if b.name.casefold() in issuer), None)
    product_type, validation = _family(facts)
    brand_codes = [b.code for b in ([brand] if brand else [])] + [OUR_BRAND_CODE]
    for code in brand_codes:
        candidates = [p for p in products if p.brand.code == code and p.product_type == product_type]
        exact = [p for p in candidates if p.validation == validation]
        if exact or candidates:
            return (exact or candidates)[0]
    return None


def catalogue_for_guess() -> tuple[list[Brand], list[Product]]:
    brands = list(Brand.objects.filter(active=True).order_by("position"))
    products = list(
        Product.objects.filter(active=True, is_test=False, brand__active=True)
        .select_related("brand")
        .order_by("brand__position", "position", "name")
    )
    return brands, products


# ---------------------------------------------------------------- importing


def _period_months(facts: CertificateFacts) -> int:
    days = (facts.not_after - facts.not_before).total_seconds() / 86400
    return max(1, min(120, round(days / _DAYS_PER_MONTH)))


def _create(
    account: Account,
    facts: CertificateFacts,
    product: Product,
    organisation: Organisation,
    manager: Contact,
    user: User,
    request: HttpRequest | None,
    now: datetime,
) -> Order:
    order = Order.objects.create(
        account=account,
        product=product,
        period_months=_period_months(facts),
        price_excl_vat=Decimal("0.00"),
        status=OrderStatus.DELIVERED_PAID,
        organisation=organisation,
        admin_contact=manager,
        technical_contact=manager,
        common_name=facts.common_name,
        sans=facts.sans,
        origin=OrderOrigin.IMPORT,
        created_by=user,
        created_at=now,
        delivered_at=facts.not_before,
        ca_reference=facts.serial[:60],
    )
    Certificate.objects.create(
        account=account,
        order=order,
        issuer=None,
        issuer_name=facts.issuer_name,
        serial=facts.serial,
        pem=facts.pem,
        common_name=facts.common_name,
        not_before=facts.not_before,
        not_after=facts.not_after,
        hash_algorithm=facts.hash_algorithm[:20],
        fingerprint_sha256=facts.fingerprint_sha256,
        public_key_sha256=facts.public_key_sha256,
        state=Certificate.State.EXPIRED if facts.not_after <= now else Certificate.State.VALID,
        imported=True,
        created_at=now,
    )
    remember_certificate_pem(facts.pem)  # ORD-6 shared primes: imported keys count too
    log_action(
        "certificate.imported",
        obj=order,
        user=user,
        request=request,
        serial=facts.serial,
        fingerprint=facts.fingerprint_sha256,
        issuer=facts.issuer_name,
        product=product.code,
    )
    return order


def _read(name: str, data: bytes, result: ImportResult) -> list[CertificateFacts]:
    """The end-entity certificates of one file, or [] with the file's error recorded."""
    try:
        leaves, cas = split_chain(read_certificates(data))
        if not leaves:
            raise ImportFileError(
                _("This file holds only CA certificates (a chain without the certificate itself).")
            )
        facts = [describe(leaf) for leaf in leaves]
    except ImportFileError as exc:
        result.errors.append({"file": name, "message": exc.message})
        return []
    except Exception:  # Untrusted bytes: any parser failure is this file's error, never an error page.
        logger.warning("certificate import: unreadable file %r", name, exc_info=True)
        result.errors.append({"file": name, "message": _("This file cannot be read as a certificate.")})
        return []
    if cas:
        result.notes.append(
            {
                "file": name,
                "message": _("%(count)d CA certificate(s) of the chain were not imported.") % {"count": cas},
            }
        )
    return facts


def import_certificates(
    account: Account,
    sources: list[tuple[str, bytes]],
    *,
    organisation: Organisation,
    manager: Contact,
    user: User,
    product: Product | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """ORD-15: import every end-entity certificate of `sources` (file name, content) into `account`.

    `product` applies to the whole upload; when None it is guessed per certificate. Duplicates
    (already on the account, or twice in the upload) are listed and skipped. Imports of one
    account are serialised by its row lock, so two uploads of the same file import it once.
    """
    now = now or timezone.now()
    result = ImportResult()
    read = [(name, facts) for name, data in sources for facts in _read(name, data, result)]
    if not read:
        return result
    brands, products = ([], []) if product is not None else catalogue_for_guess()
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        fingerprints = [facts.fingerprint_sha256 for _name, facts in read]
        existing = dict(
            Certificate.objects.filter(account=account, fingerprint_sha256__in=fingerprints).values_list(
                "fingerprint_sha256", "order__reference"
            )
        )
        seen: set[str] = set()
        for name, facts in read:
            row = {"file": name, "common_name": facts.common_name, "serial": facts.serial}
            if facts.fingerprint_sha256 in existing:
                result.duplicates.append(
                    {
                        **row,
                        "reference": existing[facts.fingerprint_sha256],
                        "message": _("Already on your account."),
                    }
                )
                continue
            if facts.fingerprint_sha256 in seen:
                result.duplicates.append({**row, "reference": "", "message": _("Twice in this upload.")})
                continue
            seen.add(facts.fingerprint_sha256)
            chosen = product or guess_product(facts, brands, products)
            if chosen is None:
                result.errors.append(
                    {
                        "file": name,
                        "message": _(
                            "We could not tell which product %(name)s is: choose the product in the form."
                        )
                        % {"name": facts.common_name},
                    }
                )
                continue
            order = _create(account, facts, chosen, organisation, manager, user, request, now)
            result.imported.append(
                {
                    **row,
                    "reference": order.reference,
                    "product": str(chosen),
                    "not_after": facts.not_after.isoformat(),
                    "expired": facts.not_after <= now,
                }
            )
    return result
