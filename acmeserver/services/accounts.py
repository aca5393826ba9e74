"""ACME accounts (RFC 8555 7.3): registration with External Account Binding, lookup, update,
deactivation and key rollover. The endpoint's EAB key id and HMAC key bind each new account to
the endpoint (and so to the portal account, its product and organisation)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import josepy as jose
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import log_action

from ..models import AcmeAccount, AcmeEndpoint
from . import eab
from .encoding import decode_protected, load_jwk
from .problems import AcmeProblem

A = AcmeAccount.Status
_EAB_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def thumbprint(jwk: jose.JWK) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: what identifies an account key."""
    return jose.b64encode(jwk.thumbprint()).decode()


def thumbprint_of(jwk_json: Any) -> str:
    return thumbprint(load_jwk(jwk_json))


def _same_key(a: Any, b: Any) -> bool:
    try:
        return thumbprint(load_jwk(a)) == thumbprint(load_jwk(b))
    except (jose.Error, ValueError, TypeError, KeyError):
        return False


def check_binding(endpoint: AcmeEndpoint, binding: Any, jwk: jose.JWK, url: str) -> None:
    """RFC 8555 7.3.4: a JWS MAC'ed with the endpoint's HMAC key (HS256/384/512), "kid" the
    endpoint's key id, "url" the newAccount URL, payload the account's own public key."""
    if not isinstance(binding, dict) or not {"protected", "payload", "signature"} <= set(binding):
        raise AcmeProblem("malformed", _("The external account binding must be a flattened JWS."))
    try:
        protected = json.loads(jose.b64decode(binding["protected"]))
        payload = json.loads(jose.b64decode(binding["payload"]))
        signature = jose.b64decode(binding["signature"])
    except (ValueError, TypeError, jose.Error):
        raise AcmeProblem("malformed", _("The external account binding cannot be read.")) from None
    if not isinstance(protected, dict) or protected.get("alg") not in _EAB_HASHES or "nonce" in protected:
        raise AcmeProblem(
            "malformed", _("The external account binding must be MAC'ed with HS256, HS384 or HS512.")
        )
    if protected.get("url") != url:
        raise AcmeProblem("unauthorized", _("The external account binding names another URL."), 401)
    if not hmac.compare_digest(str(protected.get("kid", "")), endpoint.eab_key_id):
        raise AcmeProblem(
            "unauthorized", _("Unknown external account key identifier for this endpoint."), 401
        )
    key = eab.decrypt(endpoint.eab_hmac_encrypted)
    if key is None:
        raise AcmeProblem(
            "unauthorized", _("This endpoint's key can no longer be read: create a new endpoint."), 401
        )
    signing_input = f"{binding['protected']}.{binding['payload']}".encode()
    expected = hmac.new(key, signing_input, _EAB_HASHES[protected["alg"]]).digest()
    if not hmac.compare_digest(expected, signature):
        raise AcmeProblem(
            "unauthorized", _("The external account binding does not verify with this key."), 401
        )
    if not _same_key(payload, jwk.to_json()):
        raise AcmeProblem("malformed", _("The external account binding must sign the account's own key."))


def find_by_key(endpoint: AcmeEndpoint, jwk: jose.JWK) -> AcmeAccount | None:
    return AcmeAccount.objects.filter(endpoint=endpoint, thumbprint=thumbprint(jwk)).first()


def _contacts(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise AcmeProblem("malformed", _("“contact” must be a list of URLs."))
    for contact in value:
        if not contact.startswith("mailto:") or "@" not in contact or "," in contact or "?" in contact:
            raise AcmeProblem("unsupportedContact", _("Only mailto: contacts with one address are accepted."))
    return value


def new_account(
    endpoint: AcmeEndpoint, payload: dict[str, Any], jwk: jose.JWK, url: str
) -> tuple[AcmeAccount, bool]:
    """RFC 8555 7.3: (account, created). An existing key answers its account (7.3.1);
    onlyReturnExisting never creates; a new account needs the EAB (the directory says so)."""
    existing = find_by_key(endpoint, jwk)
    if existing is not None:
        return existing, False
    if payload.get("onlyReturnExisting"):
        raise AcmeProblem("accountDoesNotExist", _("No account exists with this key."), 400)
    binding = payload.get("externalAccountBinding")
    if binding is None:
        raise AcmeProblem(
            "externalAccountRequired",
            _(
                "This endpoint needs an external account binding: give the key identifier and HMAC key shown when the endpoint was created."
            ),
        )
    contact = _contacts(payload.get("contact"))
    check_binding(endpoint, binding, jwk, url)
    try:
        with transaction.atomic():
            account = AcmeAccount.objects.create(
                account_id=endpoint.account_id,
                endpoint=endpoint,
                jwk=jwk.to_json(),
                thumbprint=thumbprint(jwk),
                contact=contact,
            )
            log_action(
                "acme.account_created",
                obj=endpoint,
                actor_name="ACME",
                acme_account=account.public_id,
                contact=contact,
            )
    except IntegrityError:
        # Two registrations with one key raced: the unique key per endpoint let one through.
        again = find_by_key(endpoint, jwk)
        if again is None:
            raise
        return again, False
    return account, True


def update_account(account: AcmeAccount, payload: dict[str, Any]) -> AcmeAccount:
    """RFC 8555 7.3.2 (contact) and 7.3.6 (deactivation, for good)."""
    with transaction.atomic():
        locked = AcmeAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status != A.VALID:
            raise AcmeProblem("unauthorized", _("This account is deactivated."), 401)
        status = payload.get("status")
        if status is not None and status != A.DEACTIVATED:
            raise AcmeProblem("malformed", _("An account can only be deactivated."))
        if "contact" in payload:
            locked.contact = _contacts(payload["contact"])
        if status == A.DEACTIVATED:
            locked.status = A.DEACTIVATED
            log_action(
                "acme.account_deactivated",
                obj=locked.endpoint,
                actor_name="ACME",
                acme_account=locked.public_id,
            )
        locked.save(update_fields=["contact", "status"])
    return locked


def change_key(account: AcmeAccount, inner: dict[str, Any], outer_url: str, account_url: str) -> AcmeAccount:
    """RFC 8555 7.3.5: the payload is a JWS signed by the new key, naming the account and its old key."""
    if not isinstance(inner, dict) or not {"protected", "payload", "signature"} <= set(inner):
        raise AcmeProblem("malformed", _("The key change payload must be a flattened JWS."))
    protected = decode_protected(inner["protected"])
    if "jwk" not in protected or "kid" in protected or "nonce" in protected:
        raise AcmeProblem("malformed", _("The inner JWS must carry the new key as “jwk”, without a nonce."))
    if protected.get("url") != outer_url:
        raise AcmeProblem("malformed", _("The inner JWS must name the same URL as the outer one."))
    try:
        new_key = load_jwk(protected["jwk"])
        signed = jose.JWS.from_json(inner)
        valid = signed.verify(new_key)
        body = json.loads(signed.payload)
    except (jose.Error, ValueError, TypeError, KeyError):
        raise AcmeProblem("malformed", _("The inner JWS cannot be read.")) from None
    if not valid:
        raise AcmeProblem("malformed", _("The inner JWS is not signed by the new key."))
    if (
        not isinstance(body, dict)
        or body.get("account") != account_url
        or not _same_key(body.get("oldKey"), account.jwk)
    ):
        raise AcmeProblem("malformed", _("The key change must name this account and its current key."))
    with transaction.atomic():
        locked = AcmeAccount.objects.select_for_update().get(pk=account.pk)
        clash = find_by_key(locked.endpoint, new_key)
        if clash is not None:
            raise AcmeProblem("conflict", _("Another account already uses this key."), 409)
        locked.jwk, locked.thumbprint = new_key.to_json(), thumbprint(new_key)
        locked.save(update_fields=["jwk", "thumbprint"])
        log_action("acme.key_changed", obj=locked.endpoint, actor_name="ACME", acme_account=locked.public_id)
    return locked
