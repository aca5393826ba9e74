"""Secrets of the upstream ACME connector (AUTO-4 [beyond]): the EAB HMAC key the outside CA
gave, and the ACME account key the portal made for it.

Both are needed in clear to sign, so they cannot be hashed: they are stored encrypted with Fernet
under a key derived from SECRET_KEY by HKDF with a label of their own (as the ACME server's EAB
keys, acmeserver.services.eab), decrypted only in memory while a request to the CA is signed, and
never shown again in the admin once saved.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

HKDF_INFO = b"certificate-portal upstream acme v1"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str | None:
    """The secret, or None when it cannot be read (SECRET_KEY changed since it was stored)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
