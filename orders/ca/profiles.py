"""Leaf certificate profiles of the embedded CA: subject, names, key usages and policies by product.

CA/B Baseline Requirements 7.1.2.7 (subscriber TLS certificate profile), 7.1.4 (subject), 7.1.6.1
(reserved policy identifiers); S/MIME BR 7.1.6.1 and Code Signing BR 7.1.6.1 for the other
families; RFC 5280 4.2.1 for the extensions themselves.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from catalog.models import SERVER_TYPES, Product, ProductType

if TYPE_CHECKING:
    from accounts.models import Organisation

V = Product.Validation
ORGANISATION_VALIDATED = {V.OV, V.EV}
MAX_COMMON_NAME = 64  # RFC 5280 appendix A, ub-common-name

# CA/B Forum reserved policy OIDs (BR 7.1.6.1, EV Guidelines 9.3.2, S/MIME BR 7.1.6.1, CS BR 7.1.6.1).
TLS_POLICIES = {V.DV: "2.23.140.1.2.1", V.OV: "2.23.140.1.2.2", V.EV: "2.23.140.1.1", V.IV: "2.23.140.1.2.3"}
CODE_SIGNING_POLICIES = {V.EV: "2.23.140.1.3"}
CODE_SIGNING_POLICY = "2.23.140.1.4.1"
SMIME_POLICIES = {V.OV: "2.23.140.1.5.2.2", V.EV: "2.23.140.1.5.2.2", V.IV: "2.23.140.1.5.4.2"}
SMIME_MAILBOX_POLICY = "2.23.140.1.5.1.2"


def subject_name(product: Product, common_name: str, organisation: Organisation | None) -> x509.Name:
    """BR 7.1.4.2: CN (one of the SANs), plus the verified organisation for OV/EV (EV Guidelines 9.2)."""
    attributes = []
    if product.validation in ORGANISATION_VALIDATED:
        if organisation is None:
            raise ValueError("an OV or EV certificate needs the holder organisation")
        attributes += [
            x509.NameAttribute(NameOID.COUNTRY_NAME, organisation.country),
            x509.NameAttribute(NameOID.LOCALITY_NAME, organisation.city),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation.name),
        ]
        if product.validation == V.EV:
            attributes += [
                x509.NameAttribute(NameOID.BUSINESS_CATEGORY, "Private Organization"),
                x509.NameAttribute(NameOID.JURISDICTION_COUNTRY_NAME, organisation.country),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, organisation.registration_number),
            ]
    # A longer name cannot be a CN; it stays in the SAN, which then carries the identity (RFC 5280 4.2.1.6).
    if 0 < len(common_name) <= MAX_COMMON_NAME:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def subject_alt_names(product: Product, names: list[str]) -> list[x509.GeneralName]:
    """RFC 5280 4.2.1.6: DNS names (A-labels), IP addresses, and email addresses for client certificates."""
    result: list[x509.GeneralName] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        if product.product_type == ProductType.CLIENT and "@" in name:
            result.append(x509.RFC822Name(name))
            continue
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(_a_label(name)))
    return list(dict.fromkeys(result))


def key_usage(public_key) -> x509.KeyUsage:
    """BR 7.1.2.7.11: digitalSignature, plus keyEncipherment for RSA keys."""
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def extended_key_usage(product: Product) -> x509.ExtendedKeyUsage:
    """BR 7.1.2.7.10: serverAuth only for TLS (the Chrome Root Program phases clientAuth out)."""
    if product.product_type in SERVER_TYPES:
        return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    if product.product_type == ProductType.CODE_SIGNING:
        return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
    return x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION])


def certificate_policies(product: Product) -> x509.CertificatePolicies:
    """The CA/B Forum reserved policy OID of the product's family and validation level."""
    validation = product.validation
    if product.product_type in SERVER_TYPES:
        oid = TLS_POLICIES.get(validation, TLS_POLICIES[V.DV])
    elif product.product_type == ProductType.CODE_SIGNING:
        oid = CODE_SIGNING_POLICIES.get(validation, CODE_SIGNING_POLICY)
    else:
        oid = SMIME_POLICIES.get(validation, SMIME_MAILBOX_POLICY)
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(oid), None)])


def _a_label(name: str) -> str:
    """IDNA A-label form of a DNS name (RFC 5280 4.2.1.6 wants ASCII), keeping a leading wildcard."""
    name = name.lower().rstrip(".")
    if name.isascii():
        return name
    return ".".join(label if label == "*" else label.encode("idna").decode("ascii") for label in name.split("."))
