"""API tokens (ADM-4): made here, shown once, stored only as a SHA-256 hash.

A token reads `cpk_<8 hex>_<43 url-safe characters>`: the first twelve characters are the visible
prefix kept in clear to tell tokens apart in lists; the rest carries 256 bits of randomness.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "cpk_"  # noqa: S105 (the visible marker of our tokens)


@dataclass(frozen=True)
class NewToken:
    raw: str
    prefix: str
    sha256: str


def hash_token(raw: str) -> str:
    """The stored form of a token: its SHA-256 in hex (a random 256-bit secret needs no salt)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_token() -> NewToken:
    """A fresh token; the caller stores `prefix` and `sha256` and shows `raw` once."""
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(raw=raw, prefix=prefix, sha256=hash_token(raw))
