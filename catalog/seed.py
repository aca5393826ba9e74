"""The reference catalogue (STAFF-3, PRICE-1): eleven brands and their products at public prices.

Product names are catalogue data that staff edit at /staff/. The seed's descriptions and delivery
times are marked for translation (`gettext_noop`) and shown through {% translate %}, so French users read
them in French; a text staff change is shown as typed. Prices are public prices excluding VAT, in EUR, per validity period.

Field conventions (read by the order form's pricing):
- `included_sans`: names included besides the common name (single-domain products include the
  "www." / bare-domain variant); `max_sans`: the most extra names a product accepts;
- `san_price` / `wildcard_san_price`: price per year of each extra name above `included_sans`,
  for a plain name and for a wildcard name respectively;
- `publicly_trusted_tls`: the certificate is a publicly trusted TLS certificate, so its lifetime
  follows the CA/Browser Forum schedule (LIFE-9).

`load_catalog()` applies this data idempotently: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext_noop

from .models import Brand, Chain, DcvMethod, Product, ProductPeriod, ProductType, product_delivery_time

T = ProductType
V = Product.Validation

# code, name, position, current delivery time (NAV-3). Catalogue strings of the seed are marked for
# translation (gettext_noop) and shown through {% translate %}: a French user reads them in French,
# while a text staff type themselves at /staff/ is shown as typed.
BRANDS: list[tuple[str, str, int, str]] = [
    ("tbs-x509", "TBS X509", 10, gettext_noop("DV: minutes, OV: 1-2 days, EV: 2-4 days")),
    ("digicert", "DigiCert", 20, gettext_noop("DV: minutes, OV: 1-3 days, EV: 3-5 days")),
    ("thawte", "Thawte", 30, gettext_noop("DV: minutes, OV: 1-3 days, EV: 3-5 days")),
    ("sectigo", "Sectigo", 40, gettext_noop("DV: minutes, OV: 1-3 days, EV: 2-5 days")),
    ("globalsign", "GlobalSign", 50, gettext_noop("DV: minutes, OV: 1-2 days, EV: 2-4 days")),
    ("certigna", "Certigna", 60, gettext_noop("OV: 2-4 days, qualified: 5-10 days after documents")),
    ("geotrust", "GeoTrust", 70, gettext_noop("DV: minutes, OV: 1-3 days, EV: 3-5 days")),
    ("harica", "Harica", 80, gettext_noop("DV: minutes, OV: 2-3 days, qualified: 3-7 days")),
    ("chambersign", "ChamberSign", 90, gettext_noop("OV: 2-5 days, RGS products: 5-10 days")),
    ("signiflow", "SigniFlow", 100, gettext_noop("Platform opened within 2 working days")),
    ("positivessl", "PositiveSSL", 110, gettext_noop("DV: minutes")),
]

# Each product's own delivery time (the new-order page shows it, not the brand's whole string):
# the brand's part for the product's validation, "qualified" / "RGS" products apart.
_DELIVERY_SEGMENTS = {
    "minutes": gettext_noop("minutes"),
    "1-2 days": gettext_noop("1-2 days"),
    "1-3 days": gettext_noop("1-3 days"),
    "2-3 days": gettext_noop("2-3 days"),
    "2-4 days": gettext_noop("2-4 days"),
    "2-5 days": gettext_noop("2-5 days"),
    "3-5 days": gettext_noop("3-5 days"),
    "3-7 days": gettext_noop("3-7 days"),
    "5-10 days": gettext_noop("5-10 days"),
    "5-10 days after documents": gettext_noop("5-10 days after documents"),
}

M = TypeVar("M", bound=models.Model)


# STAFF-3 / ORD-8: the DCV methods each brand's CA accepts, in the order the DCV page offers them;
# a brand not listed accepts all three. Staff edit them afterwards: set on a brand's creation only.
_ALL_DCV = [DcvMethod.DNS.value, DcvMethod.HTTP.value, DcvMethod.EMAIL.value]
BRAND_DCV_METHODS: dict[str, list[str]] = {
    # The French CAs validate server names by DNS or email only (no HTTP file).
    "certigna": [DcvMethod.DNS.value, DcvMethod.EMAIL.value],
    "chambersign": [DcvMethod.DNS.value, DcvMethod.EMAIL.value],
}

# ORD-2: the certification chains a brand lets the customer choose: (code, label, cross-signed by a
# legacy root for older devices, recommended). Created when missing; staff edit them afterwards.
_DIGICERT_CHAINS = [
    ("digicert-g2", "DigiCert Global Root G2", False, True),
    ("digicert-global-root-ca", "DigiCert Global Root CA (older devices)", True, False),
]
_SECTIGO_CHAINS = [
    ("usertrust", "USERTrust RSA / ECC Certification Authority", False, True),
    ("aaa-cross", "Cross-signed by AAA Certificate Services (older devices)", True, False),
]
CHAINS: dict[str, list[tuple[str, str, bool, bool]]] = {
    "digicert": _DIGICERT_CHAINS,
    "thawte": _DIGICERT_CHAINS,
    "geotrust": _DIGICERT_CHAINS,
    "sectigo": _SECTIGO_CHAINS,
    "positivessl": _SECTIGO_CHAINS,
    "globalsign": [
        ("globalsign-r46", "GlobalSign Root R46", False, True),
        ("globalsign-r3", "GlobalSign Root R3 (older devices)", True, False),
    ],
}


@dataclass(frozen=True)
class Item:
    """One product of the seed; `prices` maps months to the public price excl. VAT."""

    brand: str
    code: str
    name: str
    product_type: str
    validation: str
    prices: dict[int, str]
    description: str
    fields: dict[str, Any] = field(default_factory=dict)
    replacement: str = ""


# Every product field the seed sets; a product states only what differs from these.
_DEFAULTS: dict[str, Any] = {
    "publicly_trusted_tls": False,
    "requires_csr": True,
    "wildcard": False,
    "included_sans": 0,
    "max_sans": 0,
    "san_price": Decimal("0.00"),
    "wildcard_san_price": Decimal("0.00"),
    "reissuable": True,
    "is_test": False,
    "active": True,
}


def _server(
    brand: str,
    code: str,
    name: str,
    ptype: str,
    validation: str,
    prices: dict[int, str],
    description: str,
    *,
    replacement: str = "",
    **fields: Any,
) -> Item:
    """A publicly trusted TLS product; single-domain ones include the www/bare variant."""
    values = {
        **_DEFAULTS,
        "publicly_trusted_tls": True,
        "included_sans": 1,
        "max_sans": 1,
        "wildcard": ptype == T.WILDCARD,
        **fields,
    }
    return Item(brand, code, name, ptype, validation, prices, description, values, replacement)


def _other(
    brand: str,
    code: str,
    name: str,
    ptype: str,
    validation: str,
    prices: dict[int, str],
    description: str,
    *,
    replacement: str = "",
    **fields: Any,
) -> Item:
    """A product that is not a publicly trusted TLS certificate."""
    return Item(
        brand, code, name, ptype, validation, prices, description, {**_DEFAULTS, **fields}, replacement
    )


PRODUCTS: list[Item] = [
    # TBS X509
    _server(
        "tbs-x509",
        "tbs-x509-ssl-dv",
        "SSL DV",
        T.SERVER_DV,
        V.DV,
        {12: "39.00", 24: "72.00"},
        gettext_noop("Domain-validated certificate for one name and its www variant."),
    ),
    _server(
        "tbs-x509",
        "tbs-x509-ssl-ov",
        "SSL OV",
        T.SERVER_OV,
        V.OV,
        {12: "119.00", 24: "219.00", 36: "309.00"},
        gettext_noop("Organisation-validated certificate: the company name appears in the certificate."),
    ),
    _server(
        "tbs-x509",
        "tbs-x509-ssl-ev",
        "SSL EV",
        T.SERVER_EV,
        V.EV,
        {12: "299.00", 24: "559.00"},
        gettext_noop("Extended validation: the strongest organisation checks for public websites."),
    ),
    _server(
        "tbs-x509",
        "tbs-x509-multi-domain-ov",
        "Multi-domain OV",
        T.MULTI_DOMAIN,
        V.OV,
        {12: "229.00", 24: "429.00"},
        gettext_noop("Organisation-validated certificate for up to 100 names; 3 extra names included."),
        included_sans=3,
        max_sans=100,
        san_price=Decimal("39.00"),
    ),
    _server(
        "tbs-x509",
        "tbs-x509-wildcard-dv",
        "Wildcard DV",
        T.WILDCARD,
        V.DV,
        {12: "159.00", 24: "299.00"},
        gettext_noop("Domain-validated certificate for a domain and all its first-level subdomains."),
    ),
    _server(
        "tbs-x509",
        "tbs-x509-wildcard-ov",
        "Wildcard OV",
        T.WILDCARD,
        V.OV,
        {12: "329.00", 24: "619.00"},
        gettext_noop("Organisation-validated wildcard certificate."),
    ),
    _other(
        "tbs-x509",
        "tbs-x509-smime-mailbox",
        "S/MIME Mailbox",
        T.CLIENT,
        V.IV,
        {12: "29.00", 24: "52.00"},
        gettext_noop("Signs and encrypts the email of one named person; the holder's identity is verified."),
    ),
    _other(
        "tbs-x509",
        "tbs-x509-client-pro",
        "Client certificate Pro",
        T.CLIENT,
        V.OV,
        {12: "69.00", 24: "125.00"},
        gettext_noop(
            "Client authentication and email signature for a person on behalf of their organisation."
        ),
    ),
    _other(
        "tbs-x509",
        "tbs-x509-code-signing-ov",
        "Code Signing OV",
        T.CODE_SIGNING,
        V.OV,
        {12: "249.00", 24: "459.00", 36: "649.00"},
        gettext_noop(
            "Signs software and scripts under the organisation's verified name; key on a token or HSM."
        ),
    ),
    _other(
        "tbs-x509",
        "tbs-x509-code-signing-ev",
        "Code Signing EV",
        T.CODE_SIGNING,
        V.EV,
        {12: "379.00", 24: "699.00", 36: "989.00"},
        gettext_noop(
            "Extended-validation code signing with immediate SmartScreen reputation; key on a token or HSM."
        ),
    ),
    _other(
        "tbs-x509",
        "tbs-x509-test",
        "Test certificate",
        T.SERVER_DV,
        V.DV,
        {1: "0.00"},
        gettext_noop(
            "Free one-month certificate from a test authority, not trusted by browsers: to try an installation."
        ),
        is_test=True,
    ),
    _other(
        "tbs-x509",
        "tbs-x509-test-client",
        "Test client certificate",
        T.CLIENT,
        V.IV,
        {1: "0.00"},
        gettext_noop(
            "Free one-month client certificate from a test authority, to try a login or a mail client."
        ),
        is_test=True,
    ),
    _server(
        "tbs-x509",
        "tbs-x509-ssl-pro",
        "SSL Pro (former range)",
        T.SERVER_OV,
        V.OV,
        {12: "139.00", 24: "259.00"},
        gettext_noop("Former organisation-validated range, no longer sold: replaced by SSL OV."),
        active=False,
        replacement="tbs-x509-ssl-ov",
    ),
    # DigiCert
    _server(
        "digicert",
        "digicert-basic-ov",
        "Basic OV",
        T.SERVER_OV,
        V.OV,
        {12: "219.00", 24: "419.00"},
        gettext_noop("Organisation-validated certificate with DigiCert's CertCentral management."),
    ),
    _server(
        "digicert",
        "digicert-basic-ev",
        "Basic EV",
        T.SERVER_EV,
        V.EV,
        {12: "389.00", 24: "739.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "digicert",
        "digicert-secure-site-ov",
        "Secure Site OV",
        T.SERVER_OV,
        V.OV,
        {12: "449.00", 24: "859.00"},
        gettext_noop(
            "Premium organisation-validated certificate with DigiCert Smart Seal and priority validation."
        ),
    ),
    _server(
        "digicert",
        "digicert-secure-site-ev",
        "Secure Site EV",
        T.SERVER_EV,
        V.EV,
        {12: "749.00", 24: "1429.00"},
        gettext_noop("Premium extended-validation certificate with DigiCert Smart Seal."),
    ),
    _server(
        "digicert",
        "digicert-multi-domain-ov",
        "Basic OV Multi-Domain",
        T.MULTI_DOMAIN,
        V.OV,
        {12: "379.00", 24: "719.00"},
        gettext_noop("Organisation-validated certificate for up to 250 names; 4 extra names included."),
        included_sans=4,
        max_sans=250,
        san_price=Decimal("89.00"),
    ),
    _server(
        "digicert",
        "digicert-wildcard-ov",
        "Basic OV Wildcard",
        T.WILDCARD,
        V.OV,
        {12: "729.00", 24: "1389.00"},
        gettext_noop("Organisation-validated wildcard certificate."),
    ),
    _other(
        "digicert",
        "digicert-code-signing-ov",
        "Code Signing",
        T.CODE_SIGNING,
        V.OV,
        {12: "449.00", 24: "849.00", 36: "1199.00"},
        gettext_noop("Organisation-validated code signing; key on a token or HSM."),
    ),
    _other(
        "digicert",
        "digicert-code-signing-ev",
        "EV Code Signing",
        T.CODE_SIGNING,
        V.EV,
        {12: "599.00", 24: "1139.00", 36: "1619.00"},
        gettext_noop("Extended-validation code signing; key on a token or HSM."),
    ),
    _other(
        "digicert",
        "digicert-smime-sponsor",
        "Secure Email Sponsor-validated",
        T.CLIENT,
        V.IV,
        {12: "49.00", 24: "89.00"},
        gettext_noop("S/MIME certificate for a named employee, vouched for by the organisation."),
    ),
    # Thawte
    _server(
        "thawte",
        "thawte-ssl123",
        "SSL 123",
        T.SERVER_DV,
        V.DV,
        {12: "119.00", 24: "229.00"},
        gettext_noop("Domain-validated certificate issued in minutes."),
    ),
    _server(
        "thawte",
        "thawte-web-server-ov",
        "SSL Web Server",
        T.SERVER_OV,
        V.OV,
        {12: "249.00", 24: "469.00"},
        gettext_noop("Organisation-validated certificate."),
    ),
    _server(
        "thawte",
        "thawte-web-server-ev",
        "SSL Web Server with EV",
        T.SERVER_EV,
        V.EV,
        {12: "419.00", 24: "799.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "thawte",
        "thawte-wildcard-ov",
        "Wildcard SSL",
        T.WILDCARD,
        V.OV,
        {12: "649.00", 24: "1229.00"},
        gettext_noop("Organisation-validated wildcard certificate."),
    ),
    # Sectigo
    _server(
        "sectigo",
        "sectigo-dv",
        "Sectigo SSL DV",
        T.SERVER_DV,
        V.DV,
        {12: "49.00", 24: "89.00"},
        gettext_noop("Domain-validated certificate issued in minutes."),
    ),
    _server(
        "sectigo",
        "sectigo-ov",
        "Sectigo OV SSL",
        T.SERVER_OV,
        V.OV,
        {12: "109.00", 24: "199.00", 36: "279.00"},
        gettext_noop("Organisation-validated certificate."),
    ),
    _server(
        "sectigo",
        "sectigo-ev",
        "Sectigo EV SSL",
        T.SERVER_EV,
        V.EV,
        {12: "219.00", 24: "409.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "sectigo",
        "sectigo-ev-multi-domain",
        "Sectigo EV Multi-Domain",
        T.MULTI_DOMAIN,
        V.EV,
        {12: "449.00", 24: "849.00"},
        gettext_noop("Extended-validation certificate for up to 250 names; 2 extra names included."),
        included_sans=2,
        max_sans=250,
        san_price=Decimal("99.00"),
    ),
    _server(
        "sectigo",
        "sectigo-wildcard-dv",
        "Sectigo Wildcard DV",
        T.WILDCARD,
        V.DV,
        {12: "179.00", 24: "339.00"},
        gettext_noop("Domain-validated wildcard certificate."),
    ),
    _server(
        "sectigo",
        "sectigo-multi-domain-wildcard-ov",
        "Sectigo OV Multi-Domain Wildcard",
        T.WILDCARD,
        V.OV,
        {12: "599.00", 24: "1139.00"},
        gettext_noop(
            "Organisation-validated certificate mixing wildcard and plain names; 2 extra names included."
        ),
        included_sans=2,
        max_sans=100,
        san_price=Decimal("45.00"),
        wildcard_san_price=Decimal("189.00"),
    ),
    _other(
        "sectigo",
        "sectigo-code-signing-ov",
        "Sectigo Code Signing",
        T.CODE_SIGNING,
        V.OV,
        {12: "229.00", 24: "429.00", 36: "599.00"},
        gettext_noop("Organisation-validated code signing; key on a token or HSM."),
    ),
    _other(
        "sectigo",
        "sectigo-smime-personal",
        "Sectigo Personal Authentication",
        T.CLIENT,
        V.IV,
        {12: "25.00", 24: "45.00", 36: "62.00"},
        gettext_noop("S/MIME and client authentication for one named person."),
    ),
    # GlobalSign
    _server(
        "globalsign",
        "globalsign-domainssl",
        "DomainSSL",
        T.SERVER_DV,
        V.DV,
        {12: "199.00", 24: "379.00"},
        gettext_noop("Domain-validated certificate."),
    ),
    _server(
        "globalsign",
        "globalsign-organizationssl",
        "OrganizationSSL",
        T.SERVER_OV,
        V.OV,
        {12: "299.00", 24: "569.00"},
        gettext_noop("Organisation-validated certificate."),
    ),
    _server(
        "globalsign",
        "globalsign-extendedssl",
        "ExtendedSSL",
        T.SERVER_EV,
        V.EV,
        {12: "469.00", 24: "889.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "globalsign",
        "globalsign-organizationssl-multi-domain",
        "OrganizationSSL Multi-Domain",
        T.MULTI_DOMAIN,
        V.OV,
        {12: "399.00", 24: "759.00"},
        gettext_noop("Organisation-validated certificate for up to 100 names; 2 extra names included."),
        included_sans=2,
        max_sans=100,
        san_price=Decimal("79.00"),
    ),
    _other(
        "globalsign",
        "globalsign-personalsign",
        "PersonalSign 2",
        T.CLIENT,
        V.IV,
        {12: "59.00", 24: "109.00"},
        gettext_noop("S/MIME certificate for a person, identity checked by the organisation."),
    ),
    _server(
        "globalsign",
        "globalsign-psd2-qwac",
        "PSD2 QWAC",
        T.PSD2,
        V.EV,
        {12: "890.00", 24: "1690.00"},
        gettext_noop(
            "Qualified website authentication certificate with PSD2 roles and competent-authority data."
        ),
        reissuable=False,
    ),
    # Certigna
    _server(
        "certigna",
        "certigna-ssl-ov",
        "Certigna SSL OV",
        T.SERVER_OV,
        V.OV,
        {12: "149.00", 24: "279.00"},
        gettext_noop("Organisation-validated certificate from a French trust service provider."),
    ),
    _server(
        "certigna",
        "certigna-ssl-ev",
        "Certigna SSL EV",
        T.SERVER_EV,
        V.EV,
        {12: "349.00", 24: "659.00"},
        gettext_noop("Extended-validation certificate, qualified (eIDAS QWAC)."),
    ),
    _server(
        "certigna",
        "certigna-psd2-qwac",
        "Certigna QWAC PSD2",
        T.PSD2,
        V.EV,
        {12: "790.00", 24: "1490.00"},
        gettext_noop("Qualified website authentication certificate for payment service providers (PSD2)."),
        reissuable=False,
    ),
    _other(
        "certigna",
        "certigna-psd2-qsealc",
        "Certigna QSealC PSD2",
        T.PSD2,
        V.OV,
        {12: "690.00", 24: "1290.00"},
        gettext_noop("Qualified electronic seal certificate for payment service providers (PSD2)."),
        reissuable=False,
    ),
    _other(
        "certigna",
        "certigna-seal-rgs",
        "Certigna Electronic Seal RGS**",
        T.SEAL,
        V.OV,
        {12: "329.00", 24: "599.00", 36: "849.00"},
        gettext_noop("Seals documents and data on behalf of the organisation (RGS** / eIDAS advanced seal)."),
    ),
    _other(
        "certigna",
        "certigna-id-rgs",
        "Certigna ID RGS**",
        T.CLIENT,
        V.IV,
        {12: "119.00", 24: "219.00", 36: "309.00"},
        gettext_noop("Signature and authentication certificate for a named person on a cryptographic token."),
    ),
    _other(
        "certigna",
        "certigna-signature-software",
        "Certigna Signature Software",
        T.SIGNATURE,
        V.NONE,
        {12: "190.00", 24: "360.00"},
        gettext_noop("Desktop software to sign PDF and XML documents with an RGS or eIDAS certificate."),
        requires_csr=False,
        reissuable=False,
    ),
    # GeoTrust
    _server(
        "geotrust",
        "geotrust-standard-dv",
        "Standard DV",
        T.SERVER_DV,
        V.DV,
        {12: "99.00", 24: "189.00"},
        gettext_noop("Domain-validated certificate issued in minutes."),
    ),
    _server(
        "geotrust",
        "geotrust-truebusiness-ov",
        "TrueBusiness ID OV",
        T.SERVER_OV,
        V.OV,
        {12: "179.00", 24: "339.00"},
        gettext_noop("Organisation-validated certificate."),
    ),
    _server(
        "geotrust",
        "geotrust-truebusiness-ev",
        "TrueBusiness ID EV",
        T.SERVER_EV,
        V.EV,
        {12: "289.00", 24: "549.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "geotrust",
        "geotrust-wildcard-dv",
        "Wildcard DV",
        T.WILDCARD,
        V.DV,
        {12: "339.00", 24: "649.00"},
        gettext_noop("Domain-validated wildcard certificate."),
    ),
    _server(
        "geotrust",
        "geotrust-truebusiness-multi-domain",
        "TrueBusiness ID Multi-Domain",
        T.MULTI_DOMAIN,
        V.OV,
        {12: "299.00", 24: "569.00"},
        gettext_noop("Organisation-validated certificate for up to 250 names; 4 extra names included."),
        included_sans=4,
        max_sans=250,
        san_price=Decimal("69.00"),
    ),
    # Harica
    _server(
        "harica",
        "harica-dv",
        "Harica DV SSL",
        T.SERVER_DV,
        V.DV,
        {12: "29.00", 24: "54.00"},
        gettext_noop("Domain-validated certificate from an academic trust service provider."),
    ),
    _server(
        "harica",
        "harica-ov",
        "Harica OV SSL",
        T.SERVER_OV,
        V.OV,
        {12: "69.00", 24: "129.00"},
        gettext_noop("Organisation-validated certificate."),
    ),
    _server(
        "harica",
        "harica-ev",
        "Harica EV SSL",
        T.SERVER_EV,
        V.EV,
        {12: "169.00", 24: "319.00"},
        gettext_noop("Extended-validation certificate, qualified (eIDAS QWAC)."),
    ),
    _other(
        "harica",
        "harica-smime-iv",
        "Harica S/MIME IV",
        T.CLIENT,
        V.IV,
        {12: "19.00", 24: "35.00"},
        gettext_noop("Individual-validated S/MIME certificate."),
    ),
    _other(
        "harica",
        "harica-psd2-qsealc",
        "Harica QSealC PSD2",
        T.PSD2,
        V.OV,
        {12: "490.00", 24: "930.00"},
        gettext_noop("Qualified electronic seal certificate with PSD2 attributes."),
        reissuable=False,
    ),
    # ChamberSign
    _server(
        "chambersign",
        "chambersign-ssl-ov",
        "ChamberSign SSL OV",
        T.SERVER_OV,
        V.OV,
        {12: "139.00", 24: "259.00"},
        gettext_noop("Organisation-validated certificate from the French chambers of commerce."),
    ),
    _server(
        "chambersign",
        "chambersign-ssl-ev",
        "ChamberSign SSL EV",
        T.SERVER_EV,
        V.EV,
        {12: "329.00", 24: "619.00"},
        gettext_noop("Extended-validation certificate."),
    ),
    _server(
        "chambersign",
        "chambersign-ssl-rgs",
        "ChamberSign SSL RGS* (former range)",
        T.SERVER_OV,
        V.OV,
        {12: "169.00", 24: "319.00"},
        gettext_noop("Former RGS* server certificate, no longer sold: replaced by ChamberSign SSL OV."),
        active=False,
        replacement="chambersign-ssl-ov",
    ),
    _other(
        "chambersign",
        "chambersign-seal",
        "ChamberSign Electronic Seal",
        T.SEAL,
        V.OV,
        {12: "289.00", 24: "539.00", 36: "769.00"},
        gettext_noop("Server seal certificate to sign invoices and documents automatically (RGS*)."),
    ),
    _other(
        "chambersign",
        "chambersign-signature-token",
        "ChamberSign Signature RGS** on token",
        T.CLIENT,
        V.IV,
        {24: "159.00", 36: "219.00"},
        gettext_noop(
            "Qualified signature certificate for a named person, delivered on a token after a face-to-face check."
        ),
        reissuable=False,
    ),
    # SigniFlow
    _other(
        "signiflow",
        "signiflow-cloud-business",
        "SigniFlow Cloud – Business",
        T.SIGNATURE,
        V.NONE,
        {12: "1190.00", 24: "2250.00", 36: "3190.00"},
        gettext_noop("Online signature platform: 10 users, 500 documents a year, advanced signatures."),
        requires_csr=False,
        reissuable=False,
    ),
    _other(
        "signiflow",
        "signiflow-cloud-enterprise",
        "SigniFlow Cloud – Enterprise",
        T.SIGNATURE,
        V.NONE,
        {12: "3490.00", 24: "6590.00", 36: "9390.00"},
        gettext_noop(
            "Online signature platform: 50 users, 5,000 documents a year, qualified signatures and API."
        ),
        requires_csr=False,
        reissuable=False,
    ),
    # PositiveSSL
    _server(
        "positivessl",
        "positivessl-dv",
        "PositiveSSL",
        T.SERVER_DV,
        V.DV,
        {12: "19.00", 24: "35.00"},
        gettext_noop("Entry-level domain-validated certificate."),
    ),
    _server(
        "positivessl",
        "positivessl-wildcard",
        "PositiveSSL Wildcard",
        T.WILDCARD,
        V.DV,
        {12: "89.00", 24: "169.00"},
        gettext_noop("Domain-validated wildcard certificate."),
    ),
    _server(
        "positivessl",
        "positivessl-multi-domain",
        "PositiveSSL Multi-Domain",
        T.MULTI_DOMAIN,
        V.DV,
        {12: "49.00", 24: "93.00"},
        gettext_noop("Domain-validated certificate for up to 250 names; 2 extra names included."),
        included_sans=2,
        max_sans=250,
        san_price=Decimal("15.00"),
    ),
    _server(
        "positivessl",
        "positivessl-multi-domain-wildcard",
        "PositiveSSL Multi-Domain Wildcard",
        T.WILDCARD,
        V.DV,
        {12: "199.00", 24: "379.00"},
        gettext_noop("Domain-validated certificate mixing wildcard and plain names; 2 extra names included."),
        included_sans=2,
        max_sans=250,
        san_price=Decimal("15.00"),
        wildcard_san_price=Decimal("79.00"),
    ),
]


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _upsert(model: type[M], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[M, str]:
    """Create the row or update only the fields that differ; returns (object, outcome)."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    return obj, "updated"


@transaction.atomic
def load_catalog() -> LoadResult:
    """STAFF-3: create or update the reference brands, products and prices; idempotent.

    Rows are matched by code (periods by product and months); only differing fields are written,
    so a second run reports everything unchanged. Nothing is deleted: staff may add their own.
    """
    result = LoadResult()
    brands: dict[str, Brand] = {}
    for code, name, position, delivery in BRANDS:
        brands[code], outcome = _upsert(
            Brand,
            {"code": code},
            {"name": name, "position": position, "delivery_time": delivery, "active": True},
        )
        result.add(outcome)
        if outcome == "created":
            brands[code].dcv_methods = BRAND_DCV_METHODS.get(code, _ALL_DCV)
            brands[code].save(update_fields=["dcv_methods"])
        for position, (chain, label, cross, recommended) in enumerate(CHAINS.get(code, []), start=1):
            Chain.objects.get_or_create(
                brand=brands[code],
                code=chain,
                defaults={
                    "label": label,
                    "cross_signed": cross,
                    "recommended": recommended,
                    "position": position * 10,
                },
            )
    products: dict[str, Product] = {}
    created: set[str] = set()
    for position, item in enumerate(PRODUCTS, start=1):
        values = {
            "brand_id": brands[item.brand].pk,
            "name": item.name,
            "product_type": str(item.product_type),
            "validation": str(item.validation),
            "description": item.description,
            "delivery_time": product_delivery_time(
                {code: delivery for code, _n, _p, delivery in BRANDS}[item.brand],
                item.name,
                str(item.validation),
                item.description,
            ),
            "position": position * 10,
            **item.fields,
        }
        products[item.code], outcome = _upsert(Product, {"code": item.code}, values)
        result.add(outcome)
        if outcome == "created":
            created.add(item.code)
        for months, price in item.prices.items():
            _, outcome = _upsert(
                ProductPeriod, {"product": products[item.code], "months": months}, {"price": Decimal(price)}
            )
            result.add(outcome)
    # Replacements point at products of the same run, so they are set once all exist.
    for item in PRODUCTS:
        replacement_id = products[item.replacement].pk if item.replacement else None
        _, outcome = _upsert(Product, {"code": item.code}, {"replacement_id": replacement_id})
        if outcome == "updated" and item.code not in created:
            result.updated += 1
    return result
