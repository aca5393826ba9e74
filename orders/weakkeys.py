"""Known-weak and compromised keys (ORD-6 [beyond], CA/B BR 6.1.1.3).

BR 6.1.1.3 makes the CA reject a certificate request whose key it knows to be compromised (4) or
that is an industry-demonstrated weak key (5): ROCA, close primes found by Fermat's method in at
least 100 rounds, and the like. The weaknesses are found by badkeys' offline RSA checks; its
"blocklist" check is left out on purpose, as it needs a list downloaded from the Internet. A key is
also refused when any certificate for it, on any account, was revoked for key compromise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import badkeys
import gmpy2
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from .models import BlockedKey, Certificate, RevocationReason
from .sharedprimes import SHARED_PRIME_MESSAGE, shares_prime

# Every badkeys default check that works on an RSA modulus alone, offline. "blocklist" (type "all")
# reads a downloaded list, "dsasparse" is for DSA keys, which ORD-6 refuses anyway.
OFFLINE_CHECKS: tuple[str, ...] = tuple(
    name for name, check in badkeys.defaultchecks.items() if check["type"] == "rsa"
)

_NEW_KEY = _("Generate a new key pair and a new request.")

# badkeys check → (our refusal code, why the key is refused).
CHECK_VERDICTS: dict[str, tuple[str, Promise]] = {
    "roca": (
        "weak_roca",
        _(
            "This key was made by a vulnerable Infineon chip (ROCA, CVE-2017-15361): its private key can be "
            "computed from the public key. Update the device (smart card, TPM, token) or generate the key "
            "elsewhere, then send a new request."
        ),
    ),
    "fermat": (
        "weak_fermat",
        _(
            "The two prime factors of this RSA key are so close to each other that Fermat's method finds them "
            "in seconds (close primes, CVE-2022-26320): the key is broken. Generate a new key pair with "
            "up-to-date software and a new request."
        ),
    ),
    "sharedprimes": (
        "weak_shared_prime",
        _(
            "This RSA key shares a prime factor with keys published on the Internet: anyone can compute its "
            "private key. The device that made it lacks good randomness; generate a new key pair on another "
            "system and a new request."
        ),
    ),
    "smallfactors": (
        "rsa_small_factor",
        _("The RSA modulus is divisible by %(p)d: the key is broken, generate a new one."),
    ),
    "rsapoly": (
        "weak_other",
        _(
            "The RSA modulus shows a regular pattern of zero bits, the mark of a flawed key generator that "
            "lets it be factored: the key is broken."
        ),
    ),
    "smalld": (
        "weak_other",
        _(
            "The key's private exponent is so small that it can be computed from the public key (Wiener's "
            "attack): the key is broken."
        ),
    ),
    "rsainvalid": (
        "weak_other",
        _("The RSA public exponent is invalid for this modulus: the key cannot be used safely."),
    ),
}
_UNKNOWN_WEAKNESS = (
    "weak_other",
    _("This key has a known weakness that lets its private key be computed from the public key."),
)

REVOKED_MESSAGE = _(
    "A certificate for this key was revoked because its private key was compromised: the key can never be "
    "certified again (CA/Browser Forum Baseline Requirements 6.1.1.3). Generate a new key pair and a new "
    "request."
)


@dataclass(frozen=True)
class KeyVerdict:
    """Why a key is refused: `code` for programs and tests, `message` for the person who sent it."""

    code: str
    message: str


def check_public_key(public_key: CertificatePublicKeyTypes, public_key_sha256: str) -> KeyVerdict | None:
    """BR 6.1.1.3 (4) and (5): the first reason to refuse this key, or None when it may be certified.

    `public_key_sha256` is the hex SHA-256 of its SubjectPublicKeyInfo (orders.csr.public_key_sha256).
    """
    return (
        weak_key_verdict(public_key)
        or shared_prime_verdict(public_key)
        or blocked_key_verdict(public_key_sha256)
        or revoked_key_verdict(public_key_sha256)
    )


BLOCKED_MESSAGES = {
    BlockedKey.Reason.DEBIAN: (
        "weak_debian",
        _(
            "This key is one of the Debian weak keys (CVE-2008-0166): its private key is public. Generate a new key "
            "pair on an up-to-date system and a new request."
        ),
    ),
    BlockedKey.Reason.PUBLISHED: (
        "blocked_key",
        _("The private key of this key has been published: generate a new key pair and a new request."),
    ),
}


def blocked_key_verdict(public_key_sha256: str) -> KeyVerdict | None:
    """BR 6.1.1.3 (5)(a): keys of the imported blocklists (Debian weak keys, published keys).
    Global data, not account-owned: one indexed lookup."""
    reason = BlockedKey.objects.filter(sha256=public_key_sha256).values_list("reason", flat=True).first()
    if reason is None:
        return None
    code, message = BLOCKED_MESSAGES[BlockedKey.Reason(reason)]
    return KeyVerdict(code, str(message))


def weak_key_verdict(public_key: CertificatePublicKeyTypes) -> KeyVerdict | None:
    """BR 6.1.1.3 (5): badkeys' offline checks of an RSA key (ROCA, Fermat, shared primes, ...).

    EC keys have no offline check (badkeys only looks them up in its downloaded blocklist).
    """
    if not isinstance(public_key, rsa.RSAPublicKey):
        return None
    numbers = public_key.public_numbers()
    found = badkeys.checkrsa(numbers.n, e=numbers.e, checks=OFFLINE_CHECKS)
    for name in OFFLINE_CHECKS:  # badkeys' own order: the first finding names the weakness
        if name in found:
            return _verdict(name, found[name])
    return None


def shared_prime_verdict(public_key: object) -> KeyVerdict | None:
    """ORD-6 (issue 13): an RSA key sharing a prime with any key the portal has seen (orders.sharedprimes).
    The other key's owner is never revealed."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        return None
    if shares_prime(public_key.public_numbers().n):
        return KeyVerdict("shared_prime_seen", str(SHARED_PRIME_MESSAGE))
    return None


def revoked_key_verdict(public_key_sha256: str) -> KeyVerdict | None:
    """BR 6.1.1.3 (4): a key is refused once any certificate for it was revoked for key compromise."""
    # A compromise reported on one account condemns the key on every account, so the query looks past
    # the current tenant's scope; it only asks whether such a certificate exists and tells nothing of it.
    with scopes_disabled():
        compromised = Certificate.objects.filter(
            public_key_sha256=public_key_sha256,
            state=Certificate.State.REVOKED,
            revocation_reason=RevocationReason.KEY_COMPROMISE,
        ).exists()
    return KeyVerdict("revoked_key", str(REVOKED_MESSAGE)) if compromised else None


def _verdict(check: str, result: dict[str, Any]) -> KeyVerdict:
    code, message = CHECK_VERDICTS.get(check, _UNKNOWN_WEAKNESS)
    if check == "smallfactors":
        return KeyVerdict(code, str(message) % {"p": _smallest_prime_factor(result["p"])})
    return KeyVerdict(code, str(message))


def _smallest_prime_factor(product: int) -> int:
    """badkeys gives the product of the small primes (at most 65537) dividing the modulus."""
    prime = 2
    while product % prime:
        prime = int(gmpy2.next_prime(prime))
    return prime
