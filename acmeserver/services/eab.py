"""External Account Binding keys of ACME endpoints (RFC 8555 7.3.4, AUTO-2).

The client proves it holds the endpoint's HMAC key by sending, in newAccount, a JWS over its
account key MAC'ed with that key (HS256). To check it the server recomputes the MAC, so it needs
the key itself: a one-way hash (as for API tokens) cannot work here. The key is therefore stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from SECRET_KEY by HKDF with
its own label, decrypted only in memory while a binding is checked, and shown to the user once.
A database dump alone does not give the HMAC keys; rotating SECRET_KEY makes the existing
endpoints unusable (their clients cannot register new accounts; registered accounts keep working).
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

HKDF_INFO = b"certificate-portal acme eab hmac v1"
HMAC_KEY_BYTES = 32  # 256-bit key for HS256


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_key_id() -> str:
    return "kid-" + secrets.token_urlsafe(18)


def new_hmac_key() -> bytes:
    return secrets.token_bytes(HMAC_KEY_BYTES)


def encrypt(key: bytes) -> str:
    return _fernet().encrypt(key).decode()


def decrypt(token: str) -> bytes | None:
    """The HMAC key, or None when it cannot be read (SECRET_KEY changed since it was made)."""
    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken:
        return None
