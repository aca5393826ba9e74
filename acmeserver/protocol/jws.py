"""RFC 8555 6.2-6.4: the JWS of every ACME POST, checked before any handler runs.

Flattened JSON serialization, one signature, a protected header with "alg", "nonce", "url" and
exactly one of "jwk" (newAccount, revokeCert) or "kid" (the account URL); the nonce is used once;
the "url" is the one requested. Parsing and signature checks are josepy's (the `acme` package's
JWS), never ours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import josepy as jose
from acme import jws as acme_jws
from django.utils.translation import gettext as _

from ..services.encoding import decode_protected, load_jwk
from ..services.nonces import use_nonce
from ..services.problems import AcmeProblem

# RFC 8555 6.2: asymmetric algorithms only ("none" and MAC algorithms are refused).
ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}


@dataclass(frozen=True)
class SignedRequest:
    jws: acme_jws.JWS
    protected: dict[str, Any]
    payload: bytes  # b"" for POST-as-GET
    jwk: jose.JWK | None
    kid: str

    def json(self) -> dict[str, Any]:
        if not self.payload:
            return {}
        try:
            data = json.loads(self.payload)
        except ValueError:
            raise AcmeProblem("malformed", _("The payload is not JSON.")) from None
        if not isinstance(data, dict):
            raise AcmeProblem("malformed", _("The payload must be a JSON object."))
        return data

    def verify(self, key: jose.JWK) -> None:
        try:
            valid = self.jws.verify(key)
        except (jose.Error, ValueError, TypeError):
            valid = False
        if not valid:
            raise AcmeProblem("malformed", _("The JWS signature does not verify."), 400)


def parse(body: bytes, url: str) -> SignedRequest:
    """The checked request: structure, algorithm, url and nonce (consumed); the signature is
    verified by the caller once it knows the key (`SignedRequest.verify`)."""
    try:
        outer = json.loads(body or b"null")
    except ValueError:
        raise AcmeProblem("malformed", _("The request body is not JSON.")) from None
    if not isinstance(outer, dict) or not {"protected", "payload", "signature"} <= set(outer):
        raise AcmeProblem("malformed", _("The request must be a flattened JSON Web Signature."))
    protected = decode_protected(outer["protected"])
    try:
        signed = acme_jws.JWS.from_json(outer)
    except (jose.Error, ValueError, TypeError, KeyError):
        raise AcmeProblem("malformed", _("The JSON Web Signature cannot be read.")) from None
    if protected.get("alg") not in ALGORITHMS:
        raise AcmeProblem(
            "badSignatureAlgorithm",
            _("Signature algorithm not accepted: use one of %(algorithms)s.")
            % {"algorithms": ", ".join(sorted(ALGORITHMS))},
        )
    if ("jwk" in protected) == ("kid" in protected):
        raise AcmeProblem("malformed", _("The protected header needs exactly one of “jwk” and “kid”."))
    if protected.get("url") != url:
        raise AcmeProblem(
            "unauthorized", _("The “url” of the protected header is not the URL requested."), 401
        )
    nonce = protected.get("nonce")
    if not isinstance(nonce, str) or not use_nonce(nonce):
        raise AcmeProblem("badNonce", _("The nonce is unknown, expired or already used: get a new one."))
    jwk = None
    if "jwk" in protected:
        try:
            jwk = load_jwk(protected["jwk"])
        except (jose.Error, ValueError, TypeError, KeyError):
            raise AcmeProblem("badPublicKey", _("The JWK cannot be read.")) from None
        if isinstance(jwk, jose.JWKOct):
            raise AcmeProblem("badPublicKey", _("An account key must be a public key."))
    return SignedRequest(
        cast(acme_jws.JWS, signed), protected, signed.payload, jwk, str(protected.get("kid") or "")
    )
