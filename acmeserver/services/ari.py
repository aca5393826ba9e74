"""ACME Renewal Information (RFC 9773, AUTO-2): the renewalInfo resource and `replaces`.

A certificate is named by its ARI certID: base64url(Authority Key Identifier keyIdentifier) "."
base64url(DER serial number bytes) (section 4.1). The window is the portal's own renewal rule
(`orders.services.renewal_window`, the one the reissue list uses).
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography import x509
from django.utils.translation import gettext as _

from orders.models import Certificate
from orders.services.renewal_window import renewal_window

from ..models import AcmeEndpoint
from .problems import AcmeProblem

RETRY_AFTER_SECONDS = 6 * 3600  # section 4.3: clients poll again after this (6 hours)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def serial_bytes(serial: int) -> bytes:
    """The DER INTEGER content of a positive serial (a leading zero when the top bit is set)."""
    length = serial.bit_length() // 8 + 1
    return serial.to_bytes(length, "big")


def cert_id(certificate: x509.Certificate) -> str:
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    return f"{_b64(aki.key_identifier or b'')}.{_b64(serial_bytes(certificate.serial_number))}"


def certificate_for(endpoint: AcmeEndpoint, ari_id: str) -> Certificate | None:
    """The account's certificate named by `ari_id`, or None (another account's is not found)."""
    key_part, _dot, serial_part = ari_id.partition(".")
    try:
        key_id, serial = _unb64(key_part), int.from_bytes(_unb64(serial_part), "big")
    except ValueError:
        return None
    if not key_id or not serial_part:
        return None
    for certificate in Certificate.objects.filter(account_id=endpoint.account_id, serial=f"{serial:x}"):
        parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
        if cert_id(parsed).split(".")[0] == key_part.rstrip("="):
            return certificate
    return None


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def renewal_info(endpoint: AcmeEndpoint, ari_id: str) -> dict[str, dict[str, str]]:
    certificate = certificate_for(endpoint, ari_id)
    if certificate is None:
        raise AcmeProblem("malformed", _("No certificate of this account has this identifier."), 404)
    start, end = renewal_window(certificate)
    return {"suggestedWindow": {"start": _rfc3339(start), "end": _rfc3339(end)}}
