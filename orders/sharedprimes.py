"""Shared-prime RSA keys across every key the portal has seen (ORD-6, issue 13 point 3).

Two RSA keys that share a prime are both broken: gcd(n1, n2) gives the prime, hence both private keys
("Mining your Ps and Qs", Heninger et al. 2012). badkeys' "sharedprimes" check only compares a key with
the keys handed to it together, so the portal keeps every RSA modulus it has seen (`KnownModulus`) and,
per bucket of `BUCKET_SIZE` moduli, their product (`ModulusBucket`). Checking a new modulus costs one gcd
per bucket; only when a gcd is non-trivial are that bucket's moduli compared one by one. Adding a modulus
multiplies it into the last bucket under a row lock. The products are cached per process, keyed by the
bucket's stamp (a new random value at every change), so a check reads only the buckets that changed since the last one.
"""

from __future__ import annotations

import hashlib
import secrets

import gmpy2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .models import KnownModulus, ModulusBucket

BUCKET_SIZE = 1000

SHARED_PRIME_MESSAGE = _(
    "This RSA key shares a prime factor with another key already seen by this service: both private keys can "
    "be computed from the public keys. The device that made it lacks good randomness; generate a new key pair "
    "on another system and a new request."
)

# bucket id → (stamp, product): the products already read by this process.
_cache: dict[int, tuple[str, gmpy2.mpz]] = {}


def _to_bytes(number: int) -> bytes:
    """Big-endian bytes of a non-negative integer (the stored form of moduli and products)."""
    return int(number).to_bytes((int(number).bit_length() + 7) // 8 or 1, "big")


def modulus_sha256(modulus: int) -> str:
    """Hex SHA-256 of the modulus' big-endian bytes: the unique key of `KnownModulus`."""
    return hashlib.sha256(_to_bytes(modulus)).hexdigest()


def _products() -> list[tuple[int, gmpy2.mpz]]:
    """Every bucket's product, reading from the database only the buckets that changed since the last call."""
    stamps: dict[int, str] = {
        pk: str(stamp) for pk, stamp in ModulusBucket.objects.values_list("pk", "stamp")
    }
    stale = [pk for pk, stamp in stamps.items() if _cache.get(pk, ("",))[0] != stamp]
    if stale:
        rows = ModulusBucket.objects.filter(pk__in=stale).values_list("pk", "stamp", "product")
        for pk, stamp, product in rows:
            _cache[pk] = (str(stamp), gmpy2.mpz(int.from_bytes(bytes(product), "big")))
    for pk in set(_cache) - set(stamps):
        del _cache[pk]
    return [(pk, _cache[pk][1]) for pk in stamps if pk in _cache]


def shares_prime(modulus: int) -> bool:
    """Whether `modulus` shares a prime factor with a stored modulus other than itself (the same key seen
    again is not a shared prime: key reuse has its own rules)."""
    n = gmpy2.mpz(modulus)
    for pk, product in _products():
        if gmpy2.gcd(product % n, n) == 1:  # reduce first: GMP's gcd on the large product is slower
            continue
        # Only now: which stored modulus of this bucket (the key itself gives gcd n and is skipped).
        for stored in KnownModulus.objects.filter(bucket_id=pk).values_list("modulus", flat=True).iterator():
            other = int.from_bytes(bytes(stored), "big")
            if other != modulus and gmpy2.gcd(other, n) != 1:
                return True
    return False


def remember_modulus(modulus: int) -> bool:
    """Store `modulus` and multiply it into the last bucket (a new bucket once it holds BUCKET_SIZE moduli).
    Returns False when it was already stored. The bucket row is locked, so concurrent additions serialise."""
    sha256 = modulus_sha256(modulus)
    if KnownModulus.objects.filter(sha256=sha256).exists():
        return False
    try:
        with transaction.atomic():
            bucket = ModulusBucket.objects.select_for_update().order_by("-pk").first()
            if bucket is None or bucket.size >= BUCKET_SIZE:
                bucket = ModulusBucket.objects.create(product=_to_bytes(1), size=0)
                bucket = ModulusBucket.objects.select_for_update().get(pk=bucket.pk)
            product = int.from_bytes(bytes(bucket.product), "big") * modulus
            KnownModulus.objects.create(sha256=sha256, modulus=_to_bytes(modulus), bucket=bucket)
            bucket.product = _to_bytes(product)
            bucket.size += 1
            bucket.stamp = secrets.token_hex(16)
            bucket.save(update_fields=["product", "size", "stamp"])
    except IntegrityError:  # stored meanwhile by a concurrent request
        return False
    return True


def remember_public_key(public_key: object) -> bool:
    """Store the modulus of an RSA public key (other key types have none); see remember_modulus."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    return remember_modulus(public_key.public_numbers().n)


def remember_certificate_pem(pem: str) -> bool:
    """Store the modulus of a certificate's RSA key (issued or imported certificates)."""
    try:
        public_key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    except ValueError:
        return False
    return remember_public_key(public_key)
