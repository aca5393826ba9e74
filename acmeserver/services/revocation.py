"""revokeCert (RFC 8555 7.6, AUTO-2): by the account that ordered the certificate, or signed with
the certificate's own key; through the portal's revocation service (LIFE-5), with its reasons."""

from __future__ import annotations

import base64
from typing import Any

import josepy as jose
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils.translation import gettext as _

from orders.models import Certificate, RevocationReason
from orders.services.actions import revoke_certificate
from orders.services.lifecycle import IllegalTransition

from ..models import AcmeAccount, AcmeEndpoint
from .problems import AcmeProblem

R = RevocationReason
# RFC 5280 5.3.1 CRLReason codes → the reasons a subscriber may give (CA/B BR 4.9.1.1).
REASONS = {
    0: R.UNSPECIFIED,
    1: R.KEY_COMPROMISE,
    3: R.AFFILIATION_CHANGED,
    4: R.SUPERSEDED,
    5: R.CESSATION_OF_OPERATION,
}


def _spki(key: Any) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def revoke(
    endpoint: AcmeEndpoint, payload: dict[str, Any], *, account: AcmeAccount | None, jwk: jose.JWK | None
) -> Certificate:
    raw = payload.get("certificate")
    reason_code = payload.get("reason", 0)
    if not isinstance(raw, str):
        raise AcmeProblem("malformed", _("“certificate” is missing."))
    if not isinstance(reason_code, int) or reason_code not in REASONS:
        raise AcmeProblem("badRevocationReason", _("Accepted reasons: 0, 1, 3, 4 and 5 (RFC 5280)."))
    try:
        parsed = x509.load_der_x509_certificate(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        raise AcmeProblem(
            "malformed", _("The certificate cannot be read (base64url DER expected).")
        ) from None
    der = parsed.public_bytes(Encoding.DER)
    certificate = None
    for candidate in Certificate.objects.filter(
        account_id=endpoint.account_id, serial=f"{parsed.serial_number:x}"
    ):
        if x509.load_pem_x509_certificate(candidate.pem.encode()).public_bytes(Encoding.DER) == der:
            certificate = candidate
    if certificate is None:
        raise AcmeProblem("malformed", _("This certificate was not issued here."), 404)
    if account is not None:
        acme_order = getattr(certificate.order, "acme", None)
        if acme_order is None or acme_order.acme_account_id != account.pk:
            raise AcmeProblem("unauthorized", _("This account did not order this certificate."), 403)
    elif jwk is None or _spki(jwk.public_key().key) != _spki(parsed.public_key()):
        raise AcmeProblem(
            "unauthorized",
            _("The request is signed neither by the account nor by the certificate's key."),
            403,
        )
    if certificate.state == Certificate.State.REVOKED:
        raise AcmeProblem("alreadyRevoked", _("This certificate is already revoked."))
    try:
        return revoke_certificate(certificate, REASONS[reason_code], user=None)
    except IllegalTransition as error:
        raise AcmeProblem("unauthorized", str(getattr(error, "message", "") or error), 403) from None
