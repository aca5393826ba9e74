"""ACC-6: passkeys with py_webauthn (W3C WebAuthn Level 2), registered, named, removed by their user.

A passkey is a discoverable credential with user verification: it logs in without a password
(the authenticator checks the person, the portal checks the signature), or serves as the second
factor after a password. The relying party is settings.WEBAUTHN_RP_ID (SITE_URL's host unless
set) and responses must come from one of settings.WEBAUTHN_ORIGINS.

Each ceremony's challenge lives in the session for CHALLENGE_SECONDS and is used once.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scopes_disabled
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..audit import log_action
from ..models import User, WebAuthnCredential
from ..services import end_sessions

CHALLENGE_SESSION_KEY = "webauthn_challenge"
CHALLENGE_SECONDS = 300
_TRANSPORTS = {t.value for t in AuthenticatorTransport}


class PasskeyError(Exception):
    """The browser's answer is not a valid response to our challenge for a known passkey."""


def user_handle(user: User) -> bytes:
    """The WebAuthn user handle: the user's random public id, no personal data (WebAuthn §14.6.1)."""
    if not user.public_id:
        raise ValueError("only a saved user (with a public id) has a user handle")
    return user.public_id.encode()


def _descriptor(credential: WebAuthnCredential) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in credential.transports if t in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential.credential_id), transports=transports or None
    )


def _store_challenge(request: HttpRequest, purpose: str, challenge: bytes, user: User | None) -> None:
    request.session[CHALLENGE_SESSION_KEY] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "user": user.pk if user else None,
        "at": time.time(),
    }


def _pop_challenge(request: HttpRequest, purpose: str, user: User | None) -> bytes:
    data = request.session.pop(CHALLENGE_SESSION_KEY, None)
    if (
        not isinstance(data, dict)
        or data.get("purpose") != purpose
        or data.get("user") != (user.pk if user else None)
        or time.time() - data.get("at", 0) > CHALLENGE_SECONDS
    ):
        raise PasskeyError("no pending challenge")
    return base64url_to_bytes(data["challenge"])


# --- Registration --------------------------------------------------------------------------------


def registration_options(request: HttpRequest, user: User) -> str:
    """Options for navigator.credentials.create(): a discoverable credential, user verification
    required, the user's existing passkeys excluded. JSON for static/js/webauthn.js."""
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle(user),
        user_name=user.username,
        user_display_name=user.get_full_name() or user.username,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(c) for c in user.webauthn_credentials.all()],
    )
    _store_challenge(request, "register", options.challenge, user)
    return options_to_json(options)


def register_passkey(
    request: HttpRequest, user: User, name: str, credential: dict[str, Any]
) -> WebAuthnCredential:
    """ACC-6: verify the attestation and keep the passkey under the name the user chose.
    Audited "passkey.added"; the user's other sessions end (ACC-9). Raises PasskeyError."""
    challenge = _pop_challenge(request, "register", user)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as error:
        raise PasskeyError(str(error)) from error
    response = credential.get("response") or {}
    transports = [t for t in response.get("transports") or [] if t in _TRANSPORTS]
    try:
        with transaction.atomic():
            passkey = WebAuthnCredential.objects.create(
                user=user,
                name=name,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
            )
            log_action("passkey.added", account=user.account, user=user, obj=user, request=request, name=name)
    except IntegrityError as error:  # already registered (by this or another user)
        raise PasskeyError("credential already registered") from error
    end_sessions(user, keep=request)
    return passkey


def rename_passkey(passkey: WebAuthnCredential, name: str, *, request: HttpRequest | None = None) -> None:
    if passkey.name == name:
        return
    former = passkey.name
    passkey.name = name
    passkey.save(update_fields=["name"])
    log_action(
        "passkey.renamed",
        account=passkey.user.account,
        user=passkey.user,
        obj=passkey.user,
        request=request,
        name=name,
        former_name=former,
    )


def remove_passkey(passkey: WebAuthnCredential, *, request: HttpRequest | None = None) -> None:
    """ACC-6: the passkey no longer logs in. Audited; the user's other sessions end (ACC-9)."""
    user = passkey.user
    with transaction.atomic():
        deleted, _ = WebAuthnCredential.objects.filter(pk=passkey.pk).delete()
        if not deleted:
            return
        log_action(
            "passkey.removed", account=user.account, user=user, obj=user, request=request, name=passkey.name
        )
    end_sessions(user, keep=request)


# --- Authentication -------------------------------------------------------------------------------


def authentication_options(request: HttpRequest, user: User | None = None) -> str:
    """Options for navigator.credentials.get().

    Without a user (passwordless login) the browser offers the passkeys it holds for our RP
    (discoverable credentials) and must verify the person. With a user (second factor after the
    password) only that user's passkeys are allowed.
    """
    if user is None:
        options = generate_authentication_options(
            rp_id=settings.WEBAUTHN_RP_ID, user_verification=UserVerificationRequirement.REQUIRED
        )
        _store_challenge(request, "login", options.challenge, None)
    else:
        options = generate_authentication_options(
            rp_id=settings.WEBAUTHN_RP_ID,
            allow_credentials=[_descriptor(c) for c in user.webauthn_credentials.all()],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        _store_challenge(request, "second_factor", options.challenge, user)
    return options_to_json(options)


def verify_passkey(request: HttpRequest, credential: object, user: User | None = None) -> WebAuthnCredential:
    """Check an assertion against the pending challenge and the stored public key; returns the
    passkey used, with its sign count and last use updated. Raises PasskeyError.

    Without `user` (passwordless) the passkey designates the user, user verification is required
    and the user handle the authenticator returns must be that user's.
    """
    purpose = "login" if user is None else "second_factor"
    challenge = _pop_challenge(request, purpose, user)
    if not isinstance(credential, dict):  # the browser's JSON, unchecked so far
        raise PasskeyError("no credential id")
    credential_id = credential.get("rawId") or credential.get("id")
    if not isinstance(credential_id, str):
        raise PasskeyError("no credential id")
    # Passwordless login runs before anyone is known: users and their passkeys are not account data.
    with scopes_disabled():
        passkeys = WebAuthnCredential.objects.select_related("user", "user__account")
        if user is not None:
            passkeys = passkeys.filter(user=user)
        passkey = passkeys.filter(credential_id=credential_id).first()
    if passkey is None:
        raise PasskeyError("unknown credential")
    handle = (credential.get("response") or {}).get("userHandle")
    if handle and handle != bytes_to_base64url(user_handle(passkey.user)):
        raise PasskeyError("user handle does not match")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as error:
        raise PasskeyError(str(error)) from error
    WebAuthnCredential.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey
