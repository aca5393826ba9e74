"""AUTO-4 embedded CA and LIFE-9 validity: issuance profiles, chain, key storage, revocation and CRLs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django_scopes import scope

from accounts.models import AuditEvent, Contact
from catalog.models import Brand, ProductType
from orders.ca import EmbeddedCA, get_connector
from orders.ca.policy import dcv_reuse_days, default_tls_validity, max_tls_validity
from orders.csr import CsrError, parse_csr
from orders.models import Certificate, CertificateAuthority, Order, OrderStatus, RevocationReason
from tests.factories import make_csr, make_key, make_product

SITE = "https://portal.example.test"
pytestmark = pytest.mark.usefixtures("_site_url")


@pytest.fixture
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def ca():
    return EmbeddedCA()


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _issue(ca, product, account=None, names=("acme.test",), cn="www.acme.test", key=None, **kwargs):
    organisation = account.holder if account is not None else None
    return ca.issue(
        product=product,
        csr_pem=make_csr(cn, key=key),
        common_name=cn,
        names=list(names),
        organisation=organisation,
        **kwargs,
    )


def _leaf(issued) -> x509.Certificate:
    return x509.load_pem_x509_certificate(issued.pem.encode())


def _ext(cert: x509.Certificate, kind):
    return cert.extensions.get_extension_for_class(kind)


def _store(issued, account, product) -> Certificate:
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
        common_name=issued.common_name,
    )
    return Certificate.objects.create(account=account, order=order, **issued.certificate_fields())


class TestPolicy:
    @pytest.mark.parametrize(
        ("moment", "days", "reuse"),
        [
            (_utc(2025, 6, 1), 398, 398),
            (_utc(2026, 3, 14, 23, 59, 59), 398, 398),
            (_utc(2026, 3, 15), 200, 200),
            (_utc(2027, 3, 14, 23, 59, 59), 200, 200),
            (_utc(2027, 3, 15), 100, 100),
            (_utc(2029, 3, 14, 23, 59, 59), 100, 100),
            (_utc(2029, 3, 15), 47, 10),
            (_utc(2035, 1, 1), 47, 10),
        ],
    )
    def test_schedule_of_ballot_sc081(self, moment, days, reuse):
        assert max_tls_validity(moment) == timedelta(seconds=days * 86_400)
        assert default_tls_validity(moment) == timedelta(days=days - 1)
        assert dcv_reuse_days(moment) == reuse

    def test_naive_moment_is_read_as_utc(self):
        assert max_tls_validity(datetime(2026, 3, 15)) == timedelta(days=200)  # noqa: DTZ001


@pytest.mark.django_db
class TestAuthorities:
    def test_root_and_issuing_profiles(self, ca):
        brand = Brand.objects.create(code="tbs-x509-demo", name="TBS X509")
        root, issuing = ca.authorities(brand)
        assert (root.kind, root.slug, root.parent) == ("root", "tbs-x509-demo-root", None)
        assert (issuing.kind, issuing.slug, issuing.parent) == ("intermediate", "tbs-x509-demo-issuing", root)
        root_cert, issuing_cert = (
            x509.load_pem_x509_certificate(root.certificate_pem.encode()),
            x509.load_pem_x509_certificate(issuing.certificate_pem.encode()),
        )
        assert root_cert.subject.rfc4514_string() == "CN=TBS X509 Demo Root CA,O=TBS X509,C=FR"
        assert issuing_cert.subject.rfc4514_string() == "CN=TBS X509 Demo TLS Issuing CA,O=TBS X509,C=FR"
        assert root.common_name == "TBS X509 Demo Root CA"
        root_cert.verify_directly_issued_by(root_cert)
        issuing_cert.verify_directly_issued_by(root_cert)
        assert isinstance(root_cert.public_key(), ec.EllipticCurvePublicKey)
        assert root_cert.public_key().curve.name == "secp384r1"

        basic = _ext(root_cert, x509.BasicConstraints)
        assert basic.critical and basic.value.ca and basic.value.path_length is None
        usage = _ext(root_cert, x509.KeyUsage)
        assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
        assert root_cert.not_valid_after_utc - root_cert.not_valid_before_utc > timedelta(days=19 * 365)

        basic = _ext(issuing_cert, x509.BasicConstraints)
        assert basic.critical and basic.value.ca and basic.value.path_length == 0
        assert _ext(issuing_cert, x509.KeyUsage).value.key_cert_sign
        assert (
            _ext(issuing_cert, x509.AuthorityKeyIdentifier).value.key_identifier
            == _ext(root_cert, x509.SubjectKeyIdentifier).value.digest
        )
        crl_url = _ext(issuing_cert, x509.CRLDistributionPoints).value[0].full_name[0].value
        assert crl_url == f"{SITE}/pki/tbs-x509-demo-root.crl"
        assert timedelta(days=9 * 365) < issuing_cert.not_valid_after_utc - issuing_cert.not_valid_before_utc

    def test_made_once_and_audited(self, ca):
        brand = Brand.objects.create(code="once", name="Once")
        first = ca.authorities(brand)
        assert ca.authorities(brand) == first
        assert CertificateAuthority.objects.filter(brand=brand).count() == 2
        assert AuditEvent.objects.filter(action="ca.created").count() == 2

    def test_keys_are_stored_encrypted(self, ca):
        root, issuing = ca.authorities(Brand.objects.create(code="enc", name="Enc"))
        for authority in (root, issuing):
            pem = authority.encrypted_key_pem.encode()
            assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            with pytest.raises(TypeError):
                serialization.load_pem_private_key(pem, password=None)
            with pytest.raises(ValueError):
                serialization.load_pem_private_key(pem, password=b"wrong")
            key = serialization.load_pem_private_key(pem, password=settings.CA_KEY_PASSPHRASE.encode())
            cert = x509.load_pem_x509_certificate(authority.certificate_pem.encode())
            assert key.public_key() == cert.public_key()

    def test_two_brands_have_two_roots(self, ca):
        root_a, _ = ca.authorities(Brand.objects.create(code="brand-a", name="A"))
        root_b, _ = ca.authorities(Brand.objects.create(code="brand-b", name="B"))
        assert root_a.pk != root_b.pk
        assert root_a.certificate_pem != root_b.certificate_pem
        assert root_a.encrypted_key_pem != root_b.encrypted_key_pem


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_use_makes_one_root():
    brand = Brand.objects.create(code="race", name="Race")
    barrier = threading.Barrier(3)
    results, errors = [], []

    def first_use():
        try:
            barrier.wait()
            results.append(EmbeddedCA().authorities(brand))
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert CertificateAuthority.objects.filter(brand=brand, kind="root").count() == 1
    assert len({root.pk for root, _ in results}) == 1


@pytest.mark.django_db
class TestIssue:
    def test_ov_server_certificate(self, ca, account, product):
        key = make_key("rsa2048")
        issued = _issue(ca, product, account, names=["acme.test", "shop.acme.test"], key=key)
        leaf = _leaf(issued)
        holder = account.holder
        assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "www.acme.test"
        assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == holder.name
        assert leaf.subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)[0].value == "Paris"
        assert leaf.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "FR"
        assert _ext(leaf, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
            "www.acme.test",
            "acme.test",
            "shop.acme.test",
        ]
        assert list(_ext(leaf, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert [p.policy_identifier.dotted_string for p in _ext(leaf, x509.CertificatePolicies).value] == [
            "2.23.140.1.2.2"
        ]
        basic = _ext(leaf, x509.BasicConstraints)
        assert basic.critical and not basic.value.ca
        usage = _ext(leaf, x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
        assert (
            _ext(leaf, x509.CRLDistributionPoints).value[0].full_name[0].value
            == f"{SITE}/pki/tbs-x509-issuing.crl"
        )
        assert (
            _ext(leaf, x509.AuthorityInformationAccess).value[0].access_location.value
            == f"{SITE}/pki/tbs-x509-issuing.crt"
        )
        assert leaf.public_key() == key.public_key()
        assert issued.public_key_sha256 == parse_csr(make_csr("x.test", key=key)).public_key_sha256
        assert issued.serial_hex == f"{leaf.serial_number:x}"
        assert leaf.serial_number.bit_length() > 64
        assert (issued.hash_algorithm, issued.issuer.slug, issued.common_name) == (
            "sha384",
            "tbs-x509-issuing",
            "www.acme.test",
        )
        assert issued.fingerprint_sha256 == leaf.fingerprint(hashes.SHA256()).hex()

    def test_chains_to_the_root_under_web_pki_rules(self, ca, account, product):
        issued = _issue(ca, product, account)
        leaf = _leaf(issued)
        issuing, root = ca.chain(issued)
        leaf.verify_directly_issued_by(issuing)
        verifier = (
            PolicyBuilder()
            .store(Store([root]))
            .time(datetime.now(UTC))
            .build_server_verifier(x509.DNSName("acme.test"))
        )
        path = verifier.verify(leaf, [issuing])
        assert path == [leaf, issuing, root]
        with pytest.raises(x509.verification.VerificationError):
            verifier.verify(leaf, [])

    def test_chain_from_row_issued_or_authority(self, ca, account, product):
        issued = _issue(ca, product, account)
        row = _store(issued, account, product)
        assert ca.chain(row) == ca.chain(issued) == ca.chain(issued.issuer)
        assert len(ca.chain(issued.issuer.parent)) == 1

    def test_dv_has_only_the_name(self, ca):
        product = make_product("ssl-dv", validation="DV", product_type=ProductType.SERVER_DV)
        leaf = _leaf(_issue(ca, product, key=make_key("p256")))
        assert leaf.subject.rfc4514_string() == "CN=www.acme.test"
        assert (
            _ext(leaf, x509.CertificatePolicies).value[0].policy_identifier.dotted_string == "2.23.140.1.2.1"
        )
        assert not _ext(leaf, x509.KeyUsage).value.key_encipherment  # an EC key cannot encipher

    def test_ev_subject(self, ca, account):
        product = make_product("ssl-ev", validation="EV", product_type=ProductType.SERVER_EV)
        leaf = _leaf(_issue(ca, product, account))
        assert (
            leaf.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)[0].value == "Private Organization"
        )
        assert (
            leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
            == account.holder.registration_number
        )
        assert _ext(leaf, x509.CertificatePolicies).value[0].policy_identifier.dotted_string == "2.23.140.1.1"

    def test_ov_needs_the_organisation(self, ca, product):
        with pytest.raises(ValueError, match="organisation"):
            _issue(ca, product)

    def test_client_certificate(self, ca, account):
        product = make_product("client", product_type=ProductType.CLIENT, publicly_trusted_tls=False)
        leaf = _leaf(_issue(ca, product, account, cn="Alice Admin", names=["admin@acme.test"]))
        san = _ext(leaf, x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.RFC822Name) == ["admin@acme.test"]
        assert set(_ext(leaf, x509.ExtendedKeyUsage).value) == {
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
        }
        assert (
            _ext(leaf, x509.CertificatePolicies).value[0].policy_identifier.dotted_string
            == "2.23.140.1.5.2.2"
        )

    def test_code_signing(self, ca, account):
        product = make_product("codesign", product_type=ProductType.CODE_SIGNING, publicly_trusted_tls=False)
        leaf = _leaf(_issue(ca, product, account, cn="Acme Hosting", names=[]))
        assert list(_ext(leaf, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CODE_SIGNING]
        assert (
            _ext(leaf, x509.CertificatePolicies).value[0].policy_identifier.dotted_string == "2.23.140.1.4.1"
        )

    def test_long_name_goes_only_in_the_critical_san(self, ca):
        product = make_product("ssl-dv", validation="DV", product_type=ProductType.SERVER_DV)
        long_name = ("a" * 60) + ".acme.test"
        leaf = _leaf(
            ca.issue(product=product, csr_pem=make_csr("short.acme.test"), common_name=long_name, names=[])
        )
        assert list(leaf.subject) == []
        san = _ext(leaf, x509.SubjectAlternativeName)
        assert san.critical and san.value.get_values_for_type(x509.DNSName) == [long_name]

    def test_refuses_a_bad_csr(self, ca, account, product):
        with pytest.raises(CsrError) as caught:
            _issue(ca, product, account, key=make_key("rsa1024"))
        assert caught.value.code == "rsa_size"
        assert not Certificate.objects.exists()

    def test_serials_are_unique_and_never_reused(self, ca, account, product, monkeypatch):
        first = _issue(ca, product, account)
        _store(first, account, product)
        serials = iter([int(first.serial_hex, 16), 0x1234567890ABCDEF1234567890])
        monkeypatch.setattr(x509, "random_serial_number", lambda: next(serials))
        second = _issue(ca, product, account)
        assert second.serial_hex == "1234567890abcdef1234567890"

    def test_get_connector(self, product):
        assert isinstance(get_connector(product.brand), EmbeddedCA)


@pytest.mark.django_db
class TestValidity:
    @pytest.mark.parametrize(
        ("moment", "max_days"),
        [
            (_utc(2026, 3, 14, 12), 398),
            (_utc(2026, 3, 15, 12), 200),
            (_utc(2027, 3, 15, 0, 0, 1), 100),
            (_utc(2029, 3, 14, 23), 100),
            (_utc(2029, 3, 15, 1), 47),
        ],
    )
    def test_public_tls_follows_life9(self, ca, account, product, moment, max_days):
        """A two-year subscription gets one day under the BR maximum of its issue date."""
        issued = _issue(ca, product, account, now=moment, not_after=moment + timedelta(days=730))
        span = issued.not_after - issued.not_before
        assert span == timedelta(days=max_days - 1)
        assert span + timedelta(seconds=1) <= max_tls_validity(moment)
        assert issued.not_before <= moment

    def test_product_period_when_no_end_is_asked(self, ca, account, product):
        """Before SC-081 a one-year product fits: it lasts its 12 months (+ the 1 minute backdate)."""
        issued = _issue(ca, product, account, now=_utc(2026, 3, 14, 12))
        assert (issued.not_before, issued.not_after) == (_utc(2026, 3, 14, 11, 59), _utc(2027, 3, 14, 12))
        issued = _issue(ca, product, account, now=_utc(2026, 3, 15, 12))
        assert issued.not_after - issued.not_before == timedelta(days=199)

    def test_requested_end_is_kept_when_shorter(self, ca, account, product):
        now = _utc(2027, 6, 1, 8)
        issued = _issue(ca, product, account, now=now, not_after=now + timedelta(days=30))
        assert issued.not_after == now + timedelta(days=30)

    def test_requested_end_is_capped(self, ca, account, product):
        now = _utc(2027, 6, 1, 8)
        issued = _issue(ca, product, account, now=now, not_after=now + timedelta(days=365))
        assert issued.not_after - issued.not_before == timedelta(days=99)

    def test_private_products_are_not_capped(self, ca, account):
        product = make_product("internal", publicly_trusted_tls=False)
        now = _utc(2030, 1, 1)
        assert _issue(ca, product, account, now=now).not_after == now + timedelta(days=365)
        three_years = now + timedelta(days=3 * 365)
        assert _issue(ca, product, account, now=now, not_after=three_years).not_after == three_years


@pytest.mark.django_db
class TestRevocationAndCrl:
    def test_revoked_serial_is_on_the_crl_with_its_reason(self, ca, account, product):
        kept, compromised, unspecified = (
            _store(_issue(ca, product, account), account, product) for _ in range(3)
        )
        when = _utc(2026, 11, 1, 10)
        ca.revoke(compromised, RevocationReason.KEY_COMPROMISE, when=when)
        ca.revoke(unspecified, RevocationReason.UNSPECIFIED)

        crl = x509.load_der_x509_crl(ca.crl_der(kept.issuer))
        issuing_cert = ca.chain(kept)[0]
        assert crl.is_signature_valid(issuing_cert.public_key())
        assert crl.issuer == issuing_cert.subject
        entry = crl.get_revoked_certificate_by_serial_number(int(compromised.serial, 16))
        assert entry.revocation_date_utc == when
        assert (
            entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            == x509.ReasonFlags.key_compromise
        )
        entry = crl.get_revoked_certificate_by_serial_number(int(unspecified.serial, 16))
        with pytest.raises(x509.ExtensionNotFound):  # BR 7.2.2: no reasonCode for "unspecified"
            entry.extensions.get_extension_for_class(x509.CRLReason)
        assert crl.get_revoked_certificate_by_serial_number(int(kept.serial, 16)) is None
        assert crl.next_update_utc - crl.last_update_utc == timedelta(days=7)
        assert (
            _ext(crl, x509.AuthorityKeyIdentifier).value.key_identifier
            == _ext(issuing_cert, x509.SubjectKeyIdentifier).value.digest
        )

    def test_crl_number_grows(self, ca, account, product):
        issued = _issue(ca, product, account)
        numbers = [
            _ext(x509.load_der_x509_crl(ca.crl_der(issued.issuer)), x509.CRLNumber).value.crl_number
            for _ in range(2)
        ]
        assert numbers == [1, 2]
        issued.issuer.refresh_from_db()
        assert issued.issuer.crl_number == 2

    def test_revoke_is_idempotent(self, ca, account, product):
        cert = _store(_issue(ca, product, account), account, product)
        first = ca.revoke(cert, RevocationReason.SUPERSEDED, when=_utc(2026, 10, 1))
        again = ca.revoke(cert, RevocationReason.KEY_COMPROMISE, when=_utc(2026, 10, 5))
        assert (again.state, again.revoked_at, again.revocation_reason) == (
            "revoked",
            _utc(2026, 10, 1),
            "superseded",
        )
        assert first.pk == again.pk == cert.pk and cert.state == "revoked"

    def test_crl_lists_every_account(self, ca, account, other_account, product):
        theirs = _store(_issue(ca, product, other_account), other_account, product)
        ca.revoke(theirs, RevocationReason.CESSATION_OF_OPERATION)
        with scope(account=account.pk):  # a request of another account generates the CRL
            crl = x509.load_der_x509_crl(ca.crl_der(theirs.issuer))
        assert crl.get_revoked_certificate_by_serial_number(int(theirs.serial, 16)) is not None

    def test_root_crl_is_empty_and_valid(self, ca, account, product):
        cert = _store(_issue(ca, product, account), account, product)
        ca.revoke(cert, RevocationReason.KEY_COMPROMISE)
        root = cert.issuer.parent
        crl = x509.load_der_x509_crl(ca.crl_der(root))
        assert len(crl) == 0
        assert crl.is_signature_valid(ca.chain(root)[0].public_key())

    def test_unknown_reason_is_refused(self, ca, account, product):
        cert = _store(_issue(ca, product, account), account, product)
        with pytest.raises(ValueError):
            ca.revoke(cert, "because")
        cert.refresh_from_db()
        assert cert.state == "valid"


@override_settings(CA_KEY_PASSPHRASE="another")
@pytest.mark.django_db
def test_ca_key_needs_the_configured_passphrase(account, product):
    ca = EmbeddedCA()
    _issue(ca, product, account)  # the authorities are made with "another"
    with override_settings(CA_KEY_PASSPHRASE="dev"), pytest.raises(ValueError):
        _issue(ca, product, account)
