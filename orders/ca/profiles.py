"""Leaf certificate profiles of the embedded CA: subject, names, key usages and policies by product.

Each product falls in one family (`family`):

- TLS: server certificates and PSD2 QWACs (a PSD2 product that is a publicly trusted TLS
  certificate): CA/B Baseline Requirements 7.1.2.7, 7.1.4, 7.1.6.1; a QWAC adds the PSD2
  organizationIdentifier and QCStatements (ETSI EN 319 412-4, TS 119 495);
- client (S/MIME BR 7.1.6.1);
- code signing (Code Signing BR 7.1.2.3, 7.1.4.2.2, 7.1.6.1): the organisation is the subject;
- seal: electronic seals, signature solutions and PSD2 QSealCs (ETSI EN 319 412-1/-3, TS 119 495):
  the organisation is the subject, with its organizationIdentifier; no SAN, no EKU.

RFC 5280 4.2.1 for the extensions themselves, RFC 3739 / ETSI EN 319 412-5 for QCStatements.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from catalog.models import SERVER_TYPES, Product, ProductType

if TYPE_CHECKING:
    from accounts.models import Organisation

T = ProductType
V = Product.Validation
ORGANISATION_VALIDATED = {V.OV, V.EV}
MAX_COMMON_NAME = 64  # RFC 5280 appendix A, ub-common-name

# CA/B Forum reserved policy OIDs (BR 7.1.6.1, EV Guidelines 9.3.2, S/MIME BR 7.1.6.1, CS BR 7.1.6.1).
TLS_POLICIES: dict[str, str] = {
    V.DV: "2.23.140.1.2.1",
    V.OV: "2.23.140.1.2.2",
    V.EV: "2.23.140.1.1",
    V.IV: "2.23.140.1.2.3",
}
CODE_SIGNING_POLICIES: dict[str, str] = {V.EV: "2.23.140.1.3"}
CODE_SIGNING_POLICY = "2.23.140.1.4.1"
SMIME_POLICIES: dict[str, str] = {
    V.OV: "2.23.140.1.5.2.2",
    V.EV: "2.23.140.1.5.2.2",
    V.IV: "2.23.140.1.5.4.2",
}
SMIME_MAILBOX_POLICY = "2.23.140.1.5.1.2"
# ETSI EN 319 411-1 5.3 (NCP) and EN 319 411-2 5.3 (QCP-l: qualified seal; QCP-w: qualified website).
ETSI_NCP = "0.4.0.2042.1.1"
ETSI_QCP_LEGAL = "0.4.0.194112.1.1"
ETSI_QCP_WEB = "0.4.0.194112.1.4"

# RFC 3739 3.2.6 qcStatements extension; ETSI EN 319 412-5 4.2.1 (QcCompliance), 4.2.3 (QcType).
QC_STATEMENTS_OID = ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"
QC_TYPE_WEB = "0.4.0.1862.1.6.3"
# ETSI TS 119 495 5.1: the PSD2 statement and one OID per role (the codes of orders.services.kinds.Psd2Role).
PSD2_STATEMENT = "0.4.0.19495.2"
PSD2_ROLE_OIDS = {
    "PSP_AS": "0.4.0.19495.1.1",
    "PSP_PI": "0.4.0.19495.1.2",
    "PSP_AI": "0.4.0.19495.1.3",
    "PSP_IC": "0.4.0.19495.1.4",
}


class Family(StrEnum):
    TLS = "tls"
    CLIENT = "client"
    CODE_SIGNING = "code_signing"
    SEAL = "seal"


def is_psd2(product: Product) -> bool:
    return product.product_type == T.PSD2


def family(product: Product) -> Family:
    """The certificate profile of a product; a PSD2 product is a QWAC when publicly trusted for TLS, else a QSealC."""
    if product.product_type in SERVER_TYPES or (is_psd2(product) and product.publicly_trusted_tls):
        return Family.TLS
    if product.product_type == T.CODE_SIGNING:
        return Family.CODE_SIGNING
    if product.product_type in {T.SEAL, T.SIGNATURE, T.PSD2}:
        return Family.SEAL
    return Family.CLIENT


def needs_organisation(product: Product) -> bool:
    """Whether the subject names the holder organisation: OV/EV, code signing, seals and every PSD2 certificate."""
    return (
        product.validation in ORGANISATION_VALIDATED
        or is_psd2(product)
        or family(product) in {Family.CODE_SIGNING, Family.SEAL}
    )


def subject_name(
    product: Product,
    common_name: str,
    organisation: Organisation | None,
    options: dict[str, Any] | None = None,
) -> x509.Name:
    """The subject DN (RFC 5280 4.1.2.6), by family.

    TLS and client, BR 7.1.4.2: CN (one of the SANs), plus the verified organisation for OV/EV (EV
    Guidelines 9.2) and, for a PSD2 QWAC, its PSD2 organizationIdentifier (TS 119 495 5.2.1).
    Code signing (CS BR 7.1.4.2.2): the organisation, with its name as CN. Seals (ETSI EN 319 412-3
    4.2.1): O, organizationIdentifier, C, with the organisation's name as CN.
    """
    if not needs_organisation(product):
        return x509.Name(_common_name(common_name))
    if organisation is None:
        raise ValueError("this certificate's subject is the holder organisation: it needs one")
    kind = family(product)
    if kind == Family.SEAL:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, organisation.country),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation.name),
                x509.NameAttribute(
                    NameOID.ORGANIZATION_IDENTIFIER, organisation_identifier(product, organisation, options)
                ),
                *_common_name(organisation.name),
            ]
        )
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, organisation.country),
        x509.NameAttribute(NameOID.LOCALITY_NAME, organisation.city),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation.name),
    ]
    if is_psd2(product):
        attributes.append(
            x509.NameAttribute(
                NameOID.ORGANIZATION_IDENTIFIER, organisation_identifier(product, organisation, options)
            )
        )
    if product.validation == V.EV:
        attributes += [
            x509.NameAttribute(NameOID.BUSINESS_CATEGORY, "Private Organization"),
            x509.NameAttribute(NameOID.JURISDICTION_COUNTRY_NAME, organisation.country),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, organisation.registration_number),
        ]
    return x509.Name(
        attributes + _common_name(organisation.name if kind == Family.CODE_SIGNING else common_name)
    )


def _common_name(name: str) -> list[x509.NameAttribute]:
    # A longer name cannot be a CN; it stays in the SAN, which then carries the identity (RFC 5280 4.2.1.6).
    return [x509.NameAttribute(NameOID.COMMON_NAME, name)] if 0 < len(name) <= MAX_COMMON_NAME else []


def organisation_identifier(
    product: Product, organisation: Organisation, options: dict[str, Any] | None
) -> str:
    """ETSI EN 319 412-1 5.1.4: "NTR" + country + "-" + registry number; for PSD2, TS 119 495 5.2.1:
    "PSD" + the competent authority's country and id ("FR-ACPR") + "-" + the authorisation number.

    Raises ValueError when a PSD2 order lacks its competent-authority data (Order.options).
    """
    if is_psd2(product):
        nca_id, number = _psd2_option(options, "nca_id"), _psd2_option(options, "authorisation_number")
        return f"PSD{nca_id}-{number}"
    return f"NTR{organisation.country.upper()}-{''.join(organisation.registration_number.split())}"


def _psd2_option(options: dict[str, Any] | None, key: str) -> Any:
    value = (options or {}).get(key)
    if not value:
        raise ValueError(f"a PSD2 certificate needs the order's {key} (TS 119 495)")
    return value


def subject_alt_names(product: Product, names: list[str]) -> list[x509.GeneralName]:
    """RFC 5280 4.2.1.6: DNS names (A-labels), IP addresses, and email addresses for client certificates.

    Code signing and seal certificates name an organisation in their subject and carry no SAN: the
    organisation's name is no DNS name.
    """
    if family(product) in {Family.CODE_SIGNING, Family.SEAL}:
        return []
    result: list[x509.GeneralName] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        if product.product_type == T.CLIENT and "@" in name:
            result.append(x509.RFC822Name(name))
            continue
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(_a_label(name)))
    return list(dict.fromkeys(result))


def key_usage(product: Product, public_key: CertificatePublicKeyTypes) -> x509.KeyUsage:
    """TLS and client (BR 7.1.2.7.11): digitalSignature, plus keyEncipherment for RSA keys. Code signing
    (CS BR 7.1.2.3): digitalSignature only. Seals (EN 319 412-3 4.3.2): digitalSignature + nonRepudiation.
    """
    kind = family(product)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=kind == Family.SEAL,
        key_encipherment=kind in {Family.TLS, Family.CLIENT} and isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def extended_key_usage(product: Product) -> x509.ExtendedKeyUsage | None:
    """BR 7.1.2.7.10: serverAuth only for TLS (the Chrome Root Program phases clientAuth out); codeSigning;
    client: clientAuth + emailProtection; seals: none (EN 319 412-3 sets no EKU).
    """
    match family(product):
        case Family.TLS:
            return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
        case Family.CODE_SIGNING:
            return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
        case Family.SEAL:
            return None
    return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION])


def certificate_policies(product: Product) -> x509.CertificatePolicies:
    """The CA/B Forum reserved policy OID of the family and validation level; ETSI policies for eIDAS ones:
    QCP-w next to the TLS OID for a QWAC, QCP-l for a QSealC, NCP for the other seals.
    """
    validation = product.validation
    match family(product):
        case Family.TLS:
            oids = [TLS_POLICIES.get(validation, TLS_POLICIES[V.DV])] + (
                [ETSI_QCP_WEB] if is_psd2(product) else []
            )
        case Family.CODE_SIGNING:
            oids = [CODE_SIGNING_POLICIES.get(validation, CODE_SIGNING_POLICY)]
        case Family.SEAL:
            oids = [ETSI_QCP_LEGAL if is_psd2(product) else ETSI_NCP]
        case _:
            oids = [SMIME_POLICIES.get(validation, SMIME_MAILBOX_POLICY)]
    return x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(oid), None) for oid in oids])


def qc_statements(product: Product, options: dict[str, Any] | None) -> x509.UnrecognizedExtension | None:
    """RFC 3739 qcStatements of a PSD2 certificate (EN 319 412-5, TS 119 495 5.1), None for other products.

    QcCompliance, QcType (web for a QWAC, eseal for a QSealC) and the PSD2 statement:
    PSD2QcType ::= SEQUENCE { rolesOfPSP SEQUENCE OF SEQUENCE { roleOfPspOid OID, roleOfPspName
    UTF8String }, nCAName UTF8String, nCAId UTF8String }. Raises ValueError without roles or NCA.
    """
    if not is_psd2(product):
        return None
    roles = [role for role in PSD2_ROLE_OIDS if role in _psd2_option(options, "psd2_roles")]
    if not roles:
        raise ValueError("a PSD2 certificate needs at least one known PSD2 role")
    psd2 = _sequence(
        _sequence(*(_sequence(_oid(PSD2_ROLE_OIDS[role]), _utf8(role)) for role in roles)),
        _utf8(_psd2_option(options, "nca_name")),
        _utf8(_psd2_option(options, "nca_id")),
    )
    qc_type = QC_TYPE_WEB if family(product) == Family.TLS else QC_TYPE_ESEAL
    value = _sequence(
        _sequence(_oid(QC_COMPLIANCE)),
        _sequence(_oid(QC_TYPE), _sequence(_oid(qc_type))),
        _sequence(_oid(PSD2_STATEMENT), psd2),
    )
    return x509.UnrecognizedExtension(QC_STATEMENTS_OID, value)


# A tiny DER encoder (X.690 8.1, 8.9, 8.19, 8.23.10) for the qcStatements cryptography cannot build.
def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def _sequence(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _utf8(text: str) -> bytes:
    return _tlv(0x0C, text.encode())


def _oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _a_label(name: str) -> str:
    """IDNA A-label form of a DNS name (RFC 5280 4.2.1.6 wants ASCII), keeping a leading wildcard."""
    name = name.lower().rstrip(".")
    if name.isascii():
        return name
    return ".".join(
        label if label == "*" else label.encode("idna").decode("ascii") for label in name.split(".")
    )
