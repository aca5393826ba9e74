"""Builders and the test urlconf shared by the renewal, reissue, clone/migrate and import tests (no test here).

`urlpatterns` is portal's urlconf plus orders.renewal_urls under /operations/, as the lead mounts
it; once portal/urls.py mounts it, the duplicate is left out.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.urls import URLResolver, include, path
from django.utils import timezone

from orders.ca import get_connector
from orders.models import Certificate, OrderStatus
from orders.services import subscription_end
from portal.urls import urlpatterns as portal_patterns
from tests.support.orders import make_order

URLCONF = "tests.support.lifecycle"
REAUTH_TIMEOUT = 300

urlpatterns = [
    *[p for p in portal_patterns if not (isinstance(p, URLResolver) and p.namespace == "lifecycle")],
    path("operations/", include("orders.renewal_urls")),
]


def use_lifecycle_urls(settings) -> None:
    settings.ROOT_URLCONF = URLCONF
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = REAUTH_TIMEOUT


def log_in(client, user, *, seconds_ago: float = 0):
    """Log in as allauth records it, the password confirmed `seconds_ago` (sensitive actions, ACC-9)."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - seconds_ago, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def delivered_order(account, product, staff=None, **fields):
    """An order paid and delivered with a real certificate of the embedded CA (OV subject for OV),
    issued straight through the connector: DCV and the staff steps are other modules' tests."""
    fields.setdefault("paid", True)
    order = make_order(account, product, status=OrderStatus.DELIVERED_PAID, **fields)
    organisation = order.organisation if product.validation in {"OV", "EV"} else None
    issued = get_connector(product.brand).issue(
        product=product,
        csr_pem=order.csr,
        common_name=order.common_name,
        names=order.all_names,
        organisation=organisation,
        not_after=subscription_end(order),
    )
    Certificate.objects.create(account=account, order=order, **issued.certificate_fields())
    order.delivered_at = timezone.now()
    order.save(update_fields=["delivered_at"])
    return order


# ---------------------------------------------------------------- certificates from elsewhere (ORD-15)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]
    if org:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


class ForeignCA:
    """A root and an issuing CA of another authority, issuing leaves as a public TLS CA would."""

    def __init__(self, organisation: str = "DigiCert Inc", name: str = "DigiCert TLS RSA CA"):
        now = timezone.now()
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(f"{organisation} Root", organisation)
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.issuing = (
            x509.CertificateBuilder()
            .subject_name(_name(name, organisation))
            .issuer_name(root_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1000))
            .not_valid_after(now + timedelta(days=2000))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )

    def leaf(
        self,
        common_name: str,
        sans: list[str] | None = None,
        *,
        org: str | None = None,
        policy: str = "2.23.140.1.2.1",
        not_before: datetime | None = None,
        days: int = 365,
        eku=ExtendedKeyUsageOID.SERVER_AUTH,
    ) -> x509.Certificate:
        not_before = not_before or timezone.now() - timedelta(days=30)
        names = [common_name, *(sans or [])]
        return (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, org))
            .issuer_name(self.issuing.subject)
            .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(
                x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy), None)]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def p7b(*certificates: x509.Certificate, encoding=serialization.Encoding.DER) -> bytes:
    from cryptography.hazmat.primitives.serialization import pkcs7

    return pkcs7.serialize_certificates(list(certificates), encoding)


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()
