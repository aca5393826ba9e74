"""ORD-6 [beyond], CA/B BR 6.1.1.3: known-weak keys and keys revoked for compromise are refused.

Every weak key here is real: its CSR is signed by the broken private key itself, so only the
weak-key check can refuse it. ROCA and close-prime keys are built the way the flawed generators
built them; the shared-prime key reuses a prime of a key found in the wild (tests/data/weakkeys).
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import badkeys
import gmpy2
import pytest
from badkeys.rsakeys import sharedprimes
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django_scopes import scope

from accounts.models import Contact
from orders.ca import get_connector
from orders.csr import CsrError, parse_csr, public_key_sha256
from orders.models import Certificate, Order, OrderStatus, RevocationReason
from orders.weakkeys import CHECK_VERDICTS, OFFLINE_CHECKS, check_public_key, weak_key_verdict
from tests.factories import make_csr, make_key

DATA = Path(__file__).parents[1] / "data" / "weakkeys"
E = 65537


# --- key builders -------------------------------------------------------------------------------


def _private_key(p: int, q: int, e: int = E, *, unsafe: bool = False) -> rsa.RSAPrivateKey:
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key(unsafe_skip_rsa_key_validation=unsafe)


def _bounds(bits: int) -> tuple[int, int]:
    """Primes in [√2·2^(bits-1), 2^bits): the product of two has exactly 2·bits bits."""
    return int(gmpy2.isqrt(2 ** (2 * bits - 1))) + 1, 2**bits


def _random_prime(state, bits: int) -> int:
    low, high = _bounds(bits)
    while True:
        p = int(gmpy2.next_prime(low + gmpy2.mpz_random(state, high - low)))
        if p < high:
            return p


def _primorial(count: int) -> int:
    product, prime = 1, 1
    for _ in range(count):
        prime = int(gmpy2.next_prime(prime))
        product *= prime
    return product


def _roca_prime(state, bits: int) -> int:
    """Infineon RSALib's prime (ROCA paper, Nemec et al. 2017): p = k·M + (65537^a mod M).

    M is the primorial of the first 126 primes for keys of 1984 to 3936 bits.
    """
    m = _primorial(126)
    low, high = _bounds(bits)
    while True:
        a = int(gmpy2.mpz_urandomb(state, 62))
        k = low // m + int(gmpy2.mpz_random(state, (high - low) // m))
        p = k * m + int(gmpy2.powmod(65537, a, m))
        if low <= p < high and gmpy2.is_prime(p, 40):
            return p


def _roca_key(key_size: int, seed: int = 2017) -> rsa.RSAPrivateKey:
    state = gmpy2.random_state(seed)
    return _private_key(_roca_prime(state, key_size // 2), _roca_prime(state, key_size // 2))


def _fermat_key(seed: int = 2022) -> rsa.RSAPrivateKey:
    """Close primes, as in the printers of CVE-2022-26320: p = next_prime(x), q = next_prime(p)."""
    p = _random_prime(gmpy2.random_state(seed), 1024)
    return _private_key(p, int(gmpy2.next_prime(p)))


def _wild_key() -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key((DATA / "sharedprime-crtsh-5534506057.pem").read_bytes())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def _wild_prime() -> int:
    """The prime the crt.sh key shares with other keys, found by gcd with badkeys' list."""
    return sharedprimes(_wild_key().public_numbers().n)["p"]


def _refusal(pem: str) -> CsrError:
    with pytest.raises(CsrError) as caught:
        parse_csr(pem)
    assert caught.value.message == str(caught.value) and caught.value.message
    return caught.value


def _signed_by(key) -> str:
    """A CSR signed by `key`; its signature is checked so only the weak-key check can refuse it."""
    pem = make_csr("www.acme.test", key=key)
    assert x509.load_pem_x509_csr(pem.encode()).is_signature_valid
    return pem


# --- weak keys ----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestWeakKeys:
    @pytest.mark.parametrize("key_size", [2048, 3072])
    def test_roca_key_is_refused(self, key_size):
        key = _roca_key(key_size)
        assert key.key_size == key_size
        error = _refusal(_signed_by(key))
        assert error.code == "weak_roca"
        assert "ROCA" in error.message and "Infineon" in error.message

    def test_fermat_close_primes_are_refused(self):
        key = _fermat_key()
        assert key.key_size == 2048
        error = _refusal(_signed_by(key))
        assert error.code == "weak_fermat"
        assert "close to each other" in error.message

    def test_the_shared_prime_key_from_the_wild_is_refused(self):
        public = _wild_key().public_numbers()
        p = _wild_prime()
        key = _private_key(p, public.n // p)
        assert key.public_key().public_numbers() == public
        error = _refusal(_signed_by(key))
        assert error.code == "weak_shared_prime"
        assert "shares a prime factor" in error.message

    def test_a_new_key_reusing_a_known_prime_is_refused(self):
        p = _wild_prime()
        q = _random_prime(gmpy2.random_state(7), 1024)
        key = _private_key(p, q)
        assert key.key_size == 2048
        assert _refusal(_signed_by(key)).code == "weak_shared_prime"

    def test_small_factor_above_our_own_sieve_is_refused(self):
        """A factor between 1000 and 65537: badkeys' gcd finds what the sieve below 1000 misses."""
        p = 1009
        low, high = 2**2047 // p + 1, 2**2048 // p
        q = int(gmpy2.next_prime(low + gmpy2.mpz_random(gmpy2.random_state(3), high - low - 10**4)))
        key = _private_key(p, q, unsafe=True)
        assert key.key_size == 2048
        error = _refusal(_signed_by(key))
        assert error.code == "rsa_small_factor"
        assert "divisible by 1009" in error.message

    def test_small_private_exponent_is_named_when_checked_directly(self):
        """Wiener's attack needs a huge e, which parse_csr already refuses; the check still names it."""
        state = gmpy2.random_state(11)
        p, q = _random_prime(state, 1024), _random_prime(state, 1024)
        phi = (p - 1) * (q - 1)
        d = int(gmpy2.next_prime(2**300 + gmpy2.mpz_random(state, 2**200)))
        e = pow(d, -1, phi)
        public_key = rsa.RSAPublicNumbers(e, p * q).public_key()
        verdict = weak_key_verdict(public_key)
        assert verdict is not None
        assert verdict.code == "weak_other"
        assert "Wiener" in verdict.message
        assert _refusal(_signed_by(_private_key(p, q, e))).code == "rsa_exponent"

    def test_sound_keys_pass(self):
        for kind in ("rsa2048", "p256", "p384"):
            key = make_key(kind)
            assert weak_key_verdict(key.public_key()) is None
            assert parse_csr(make_csr("ok.acme.test", key=key)).common_name == "ok.acme.test"

    def test_each_weakness_has_its_own_message(self):
        messages = {
            _refusal(_signed_by(_roca_key(2048))).message,
            _refusal(_signed_by(_fermat_key())).message,
            _refusal(
                _signed_by(_private_key(_wild_prime(), _random_prime(gmpy2.random_state(5), 1024)))
            ).message,
        }
        assert len(messages) == 3


class TestCheckList:
    def test_every_offline_check_runs_and_the_download_one_does_not(self):
        assert set(OFFLINE_CHECKS) == {
            "fermat",
            "roca",
            "rsainvalid",
            "rsapoly",
            "sharedprimes",
            "smalld",
            "smallfactors",
        }
        assert "blocklist" in badkeys.defaultchecks and "blocklist" not in OFFLINE_CHECKS

    def test_every_check_has_its_own_code_and_message(self):
        assert set(OFFLINE_CHECKS) <= set(CHECK_VERDICTS)
        assert len({str(message) for _, message in CHECK_VERDICTS.values()}) == len(CHECK_VERDICTS)


# --- keys revoked for compromise (BR 6.1.1.3 (4)) -----------------------------------------------


def _issue_and_store(account, product, key, *, common_name: str = "www.acme.test") -> Certificate:
    """The embedded CA signs a certificate for `key`; its row is stored as the order service does."""
    issued = get_connector(product.brand).issue(
        product=product,
        csr_pem=make_csr(common_name, key=key),
        common_name=common_name,
        names=[common_name],
        organisation=account.holder,
    )
    contact = Contact.objects.filter(account=account).first()
    assert contact is not None, "the account has a contact"
    order = Order.objects.create(
        account=account,
        product=product,
        period_months=12,
        price_excl_vat=Decimal("100.00"),
        status=OrderStatus.DELIVERED_PAID,
        organisation=account.holder,
        admin_contact=contact,
        technical_contact=contact,
        common_name=common_name,
    )
    return Certificate.objects.create(account=account, order=order, **issued.certificate_fields())


def _revoke(certificate: Certificate, reason: str) -> None:
    get_connector(certificate.order.product.brand).revoke(certificate, reason)


@pytest.mark.django_db
class TestRevokedForKeyCompromise:
    @pytest.mark.parametrize("kind", ["rsa2048", "p256"])
    def test_a_key_revoked_for_compromise_is_refused(self, account, product, kind):
        key = make_key(kind)
        certificate = _issue_and_store(account, product, key)
        assert certificate.public_key_sha256 == public_key_sha256(key.public_key())
        assert parse_csr(make_csr("new.acme.test", key=key)).common_name == "new.acme.test"
        _revoke(certificate, RevocationReason.KEY_COMPROMISE)
        error = _refusal(make_csr("new.acme.test", key=key))
        assert error.code == "revoked_key"
        assert "compromised" in error.message and "6.1.1.3" in error.message

    def test_refused_on_another_account_too(self, account, other_account, product):
        """The other account's form runs in its own tenant scope: the check must look past it."""
        key = make_key()
        _revoke(_issue_and_store(account, product, key), RevocationReason.KEY_COMPROMISE)
        with scope(account=other_account):
            error = _refusal(make_csr("www.globex.test", key=key))
        assert error.code == "revoked_key"
        assert "Acme" not in error.message and "www.acme.test" not in error.message

    def test_the_ca_refuses_to_sign_the_key_again(self, account, other_account, product):
        key = make_key()
        _revoke(_issue_and_store(account, product, key), RevocationReason.KEY_COMPROMISE)
        with pytest.raises(CsrError) as caught:
            _issue_and_store(other_account, product, key, common_name="www.globex.test")
        assert caught.value.code == "revoked_key"

    @pytest.mark.parametrize(
        "reason",
        [RevocationReason.SUPERSEDED, RevocationReason.CESSATION_OF_OPERATION, RevocationReason.UNSPECIFIED],
    )
    def test_other_revocation_reasons_keep_the_key_usable(self, account, product, reason):
        key = make_key()
        _revoke(_issue_and_store(account, product, key), reason)
        assert parse_csr(make_csr("again.acme.test", key=key)).common_name == "again.acme.test"

    def test_other_keys_are_not_affected(self, account, product):
        _revoke(_issue_and_store(account, product, make_key()), RevocationReason.KEY_COMPROMISE)
        assert check_public_key(make_key().public_key(), public_key_sha256(make_key().public_key())) is None
