"""ACC-7: what the portal believes of the TLS terminator's headers, and which user a certificate opens.

The TLS terminator (deploy/nginx/portal-client-cert.conf) verifies the client certificate against
the login CA chain and passes it on in two headers: the URL-encoded PEM (nginx
`$ssl_client_escaped_cert`) and the verification result (`$ssl_client_verify`, "SUCCESS" when it
holds). Anybody can send such headers, so the portal reads them only from the addresses of
settings.TRUSTED_PROXIES (single addresses or networks); from anywhere else they do not exist.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from functools import lru_cache
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from accounts.models import Account, ClientCertificate, User

DEFAULT_CERT_HEADER = "HTTP_X_SSL_CLIENT_CERT"
DEFAULT_VERIFY_HEADER = "HTTP_X_SSL_CLIENT_VERIFY"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


class CertificateRefused(Exception):
    """The presented certificate opens nothing; `code` says why (audited, not shown in detail)."""

    MESSAGES = {
        "unknown": _("This certificate is not a login certificate of the portal."),
        "revoked": _("This certificate is revoked."),
        "suspended": _("This certificate is suspended. Ask an administrator of your account."),
        "expired": _("This certificate is not valid at this date."),
        "auth_type": _("Your account does not log in with a certificate."),
        "blocked": _("Your access is blocked. Only an administrator of your account can reactivate it."),
        "locked": _("This login is locked. An administrator of your account or our staff must unlock it."),
    }

    def __init__(self, code: str, record: ClientCertificate | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.record = record  # the certificate's record when known, for the audit trail

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code])


@lru_cache(maxsize=32)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request comes straight from a configured TLS terminator (REMOTE_ADDR, never a
    forwarded-for header, which the client itself could write)."""
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _header(name: str, default: str) -> str:
    return getattr(settings, name, None) or default


def parse_certificate_header(value: str) -> x509.Certificate | None:
    """The certificate of the header: nginx's URL-encoded PEM, or a PEM whose line breaks a proxy
    turned into spaces. None when it holds no readable certificate."""
    match = _PEM.search(unquote(value or ""))
    if not match:
        return None
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        return None


def presented_certificate(request: HttpRequest) -> x509.Certificate | None:
    """ACC-7: the client certificate the trusted TLS terminator verified, or None.

    None when the request is not from a trusted proxy, when the terminator did not report a
    successful verification, or when the header holds no certificate.
    """
    if not from_trusted_proxy(request):
        return None
    verify = request.META.get(_header("CLIENT_CERT_VERIFY_HEADER", DEFAULT_VERIFY_HEADER), "")
    if verify.strip() != "SUCCESS":
        return None
    return parse_certificate_header(request.META.get(_header("CLIENT_CERT_HEADER", DEFAULT_CERT_HEADER), ""))


def verification_failure(request: HttpRequest) -> str:
    """What the trusted terminator said of a certificate it did not accept ("FAILED:…"), else ""."""
    if not from_trusted_proxy(request):
        return ""
    verify = request.META.get(_header("CLIENT_CERT_VERIFY_HEADER", DEFAULT_VERIFY_HEADER), "").strip()
    return verify if verify.startswith("FAILED") else ""


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def certificate_user(certificate: x509.Certificate) -> tuple[User, ClientCertificate]:
    """ACC-7: the user a verified certificate designates, by SHA-256 fingerprint.

    Raises CertificateRefused for an unknown, revoked, suspended or out-of-date certificate, for a
    user of an account that does not log in by certificate, and for a blocked or locked user.
    """
    # The login request is anonymous, so no account scope is open yet: the certificate itself
    # designates the account, looked up across all of them.
    with scopes_disabled():
        record = (
            ClientCertificate.objects.select_related("user", "user__account")
            .filter(fingerprint_sha256=fingerprint(certificate))
            .first()
        )
    if record is None or record.user is None:
        raise CertificateRefused("unknown")
    if record.state == ClientCertificate.State.REVOKED:
        raise CertificateRefused("revoked", record)
    if record.state == ClientCertificate.State.SUSPENDED:
        raise CertificateRefused("suspended", record)
    now = timezone.now()
    if not record.not_before <= now <= record.not_after:
        raise CertificateRefused("expired", record)
    user = record.user
    if user.account is None or user.account.auth_type != Account.AuthType.CERTIFICATE:
        raise CertificateRefused("auth_type", record)
    if not user.is_active:
        raise CertificateRefused("blocked", record)
    if user.locked_at is not None:
        raise CertificateRefused("locked", record)
    return user, record
