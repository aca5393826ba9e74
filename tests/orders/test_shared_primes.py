"""ORD-6 (issue 13 point 3): an RSA key sharing a prime with any key the portal has seen is refused.

The keys are real 2048-bit keys built from a shared prime, and their CSRs are signed by them, so only
the shared-prime check can refuse the second one (badkeys alone sees one key at a time).
"""

from __future__ import annotations

import datetime
import math
import random

import gmpy2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.urls import reverse

from orders import sharedprimes
from orders.csr import CsrError, parse_csr
from orders.models import KnownModulus, ModulusBucket, Order
from orders.sharedprimes import remember_certificate_pem, remember_modulus, shares_prime
from tests.factories import make_csr
from tests.orders.test_order_form import field_errors
from tests.support.orders import form_data

E = 65537


def _prime(rng: random.Random) -> int:
    """A random 1024-bit prime with its two top bits set (so two of them make a 2048-bit modulus)."""
    return int(gmpy2.next_prime(rng.getrandbits(1024) | (3 << 1022)))


def _key(p: int, q: int) -> rsa.RSAPrivateKey:
    """The RSA private key of primes p and q (CRT values from cryptography's helpers)."""
    d = pow(E, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(E, p * q),
    )
    return numbers.private_key()


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """Two keys sharing the prime p, and a third unrelated key."""
    rng = random.Random(13)
    p, q1, q2, r, s = (_prime(rng) for _ in range(5))
    return _key(p, q1), _key(p, q2), _key(r, s)


def _self_signed(key: rsa.RSAPrivateKey) -> str:
    """A self-signed certificate PEM for `key` (as an imported certificate)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imported.acme.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.django_db
class TestSharedPrimes:
    def test_second_key_sharing_a_prime_is_refused(self, keys) -> None:
        first, second, _ = keys
        assert first.key_size == second.key_size == 2048
        parse_csr(make_csr("www.acme.test", key=first))
        with pytest.raises(CsrError) as caught:
            parse_csr(make_csr("www.other.test", key=second))
        assert caught.value.code == "shared_prime_seen"
        assert "shares a prime factor with another key" in caught.value.message
        assert "acme" not in caught.value.message  # nothing of the other key's owner

    def test_same_key_again_and_unrelated_key_are_accepted(self, keys) -> None:
        first, _, other = keys
        parse_csr(make_csr("www.acme.test", key=first))
        parse_csr(make_csr("mail.acme.test", key=first))  # key reuse is not a shared prime
        parse_csr(make_csr("www.other.test", key=other))
        assert KnownModulus.objects.count() == 2

    def test_refused_key_is_not_stored(self, keys) -> None:
        first, second, _ = keys
        parse_csr(make_csr("www.acme.test", key=first))
        with pytest.raises(CsrError):
            parse_csr(make_csr("www.other.test", key=second))
        assert KnownModulus.objects.count() == 1

    def test_imported_certificate_key_counts(self, keys) -> None:
        first, second, _ = keys
        assert remember_certificate_pem(_self_signed(first))
        assert not remember_certificate_pem(_self_signed(first))  # already stored
        with pytest.raises(CsrError) as caught:
            parse_csr(make_csr("www.acme.test", key=second))
        assert caught.value.code == "shared_prime_seen"

    def test_order_form_shows_it_next_to_the_csr_field(self, client, tech, account, product, keys) -> None:
        first, second, _ = keys
        parse_csr(make_csr("www.acme.test", key=first))
        client.force_login(tech)
        data = form_data(account, csr=make_csr("www.acme.test", key=second))
        response = client.post(reverse("operations:order", args=[product.code]), data)
        assert response.status_code == 200
        assert "shares a prime factor with another key" in field_errors(response.content.decode(), "csr")
        assert not Order.objects.exists()

    def test_buckets_hold_the_product_and_fill_up(self, keys, monkeypatch) -> None:
        monkeypatch.setattr(sharedprimes, "BUCKET_SIZE", 2)
        first, second, other = keys
        rng = random.Random(7)
        moduli = [rng.getrandbits(2048) | 1 for _ in range(4)]
        stored = [first.public_key().public_numbers().n, *moduli]
        for modulus in stored:
            assert remember_modulus(modulus)
        buckets = list(ModulusBucket.objects.order_by("pk"))
        assert [bucket.size for bucket in buckets] == [2, 2, 1]
        assert int.from_bytes(bytes(buckets[0].product), "big") == stored[0] * stored[1]
        # The shared key sits in the first (full) bucket; the unrelated key shares nothing.
        assert shares_prime(second.public_key().public_numbers().n)
        assert not shares_prime(other.public_key().public_numbers().n)
