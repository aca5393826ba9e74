"""Shared helpers of the client-certificate tests (ACC-7, ADM-3); also their URLconf until
portal/urls.py includes accounts.clientcert.urls (at the root, like accounts.twofactor.urls)."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.urls import URLResolver, include, path
from django.utils import timezone

from accounts.clientcert import services
from accounts.models import Account, ClientCertificate, Right
from tests import factories
from tests.support.urls_routes import urlpatterns as route_patterns

URLCONF = __name__
urlpatterns = [
    path("", include("accounts.clientcert.urls")),
    *[p for p in route_patterns if not (isinstance(p, URLResolver) and p.namespace == "clientcert")],
]

PROXY = "10.9.9.9"  # the TLS terminator of these tests
P12_PASSWORD = "Granite-Harbour-Violet-31"
MIDDLEWARE_NAME = "accounts.clientcert.middleware.CertificateFirstMiddleware"


def use_clientcert_settings(settings) -> None:
    settings.ROOT_URLCONF = URLCONF
    settings.TRUSTED_PROXIES = [PROXY]
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    settings.STAFF_REQUIRE_2FA = False
    if MIDDLEWARE_NAME not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE_NAME]


@pytest.fixture
def cert_account(db):
    return factories.make_account("Cipher Bank", domain="cipher.test", auth_type=Account.AuthType.CERTIFICATE)


@pytest.fixture
def cert_owner(cert_account):
    return factories.make_user(cert_account, "keeper", superuser=True)


@pytest.fixture
def cert_admin(cert_account):
    return factories.make_user(cert_account, "warden", rights=[Right.ADMINISTRATIVE])


@pytest.fixture
def cert_tech(cert_account):
    return factories.make_user(cert_account, "clerk", rights=[Right.TECHNICAL])


def issue(user, by=None) -> tuple[ClientCertificate, x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A login certificate through the PKCS#12 path, opened again: (record, certificate, key)."""
    record, data = services.issue_pkcs12(user, P12_PASSWORD, by=by or user)
    key, cert, _chain = pkcs12.load_key_and_certificates(data, P12_PASSWORD.encode())
    assert isinstance(key, ec.EllipticCurvePrivateKey) and cert is not None
    return record, cert, key


def pem_of(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def headers(cert: x509.Certificate | str | None, *, verify: str = "SUCCESS", address: str = PROXY) -> dict:
    """What nginx passes: the URL-encoded PEM ($ssl_client_escaped_cert) and the verification result."""
    meta = {"REMOTE_ADDR": address}
    if cert is not None:
        text = cert if isinstance(cert, str) else pem_of(cert)
        meta["HTTP_X_SSL_CLIENT_CERT"] = quote(text, safe="")
    if verify:
        meta["HTTP_X_SSL_CLIENT_VERIFY"] = verify
    return meta


def self_signed(common_name: str = "intruder") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = timezone.now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def session_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def log_in_by_certificate(client, user, *, seconds_ago: float = 0):
    """A session as the certificate login leaves it: the certificate recorded, recent or not."""
    user.refresh_from_db()  # issuing made the password unusable: the session hash follows it
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "certificate", "at": time.time() - seconds_ago, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client
