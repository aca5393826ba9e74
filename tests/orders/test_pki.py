"""Public PKI endpoints (AUTO-4) and LIFE-3 download formats."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from django.urls import reverse
from django_scopes import ScopeError
from django_scopes.state import state as scope_state

from accounts.models import Contact
from catalog.models import ProductType
from orders.ca import EmbeddedCA, bundles
from orders.models import Certificate, Order, OrderStatus, RevocationReason
from tests.factories import make_csr, make_product


@pytest.fixture
def ca():
    return EmbeddedCA()


@pytest.fixture
def revoked(ca, account, product):
    """A revoked certificate of `account`, as a row."""
    issued = ca.issue(
        product=product,
        csr_pem=make_csr("www.acme.test"),
        common_name="www.acme.test",
        names=["acme.test"],
        organisation=account.holder,
    )
    contact = Contact.objects.filter(account=account).first()
    order = Order.objects.create(
        account=account,
        product=product,
        period_months=12,
        price_excl_vat=Decimal("100.00"),
        status=OrderStatus.DELIVERED_PAID,
        organisation=account.holder,
        admin_contact=contact,
        technical_contact=contact,
        common_name="www.acme.test",
    )
    certificate = Certificate.objects.create(account=account, order=order, **issued.certificate_fields())
    return ca.revoke(certificate, RevocationReason.KEY_COMPROMISE)


@pytest.fixture
def anonymous(client):
    """A client with no user, and no scope: the views must open what they need themselves."""
    return client


class _scoped:
    """Leave the test-wide scopes_disabled() for a request: an anonymous request has no scope at all."""

    def __enter__(self):
        self._token = scope_state.set({})
        return self

    def __exit__(self, *exc):
        scope_state.reset(self._token)


def _fetch(client, slug: str, kind: str):
    with _scoped():
        return client.get(reverse(f"pki:{kind}", kwargs={"slug": slug}))


def test_no_scope_really_refuses_account_queries(db):
    with _scoped(), pytest.raises(ScopeError):
        Certificate.objects.count()


@pytest.mark.django_db
class TestPkiViews:
    def test_urls(self):
        assert reverse("pki:crl", kwargs={"slug": "tbs-x509-issuing"}) == "/pki/tbs-x509-issuing.crl"
        assert reverse("pki:crt", kwargs={"slug": "tbs-x509-root"}) == "/pki/tbs-x509-root.crt"

    def test_crl_is_public_and_lists_revoked_serials(self, anonymous, ca, revoked):
        response = _fetch(anonymous, revoked.issuer.slug, "crl")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-crl"
        crl = x509.load_der_x509_crl(response.content)
        assert crl.is_signature_valid(ca.chain(revoked)[0].public_key())
        assert crl.get_revoked_certificate_by_serial_number(int(revoked.serial, 16)) is not None

    def test_root_crl(self, anonymous, ca, revoked):
        response = _fetch(anonymous, revoked.issuer.parent.slug, "crl")
        crl = x509.load_der_x509_crl(response.content)
        assert len(crl) == 0
        assert crl.is_signature_valid(ca.chain(revoked)[1].public_key())

    def test_crt_in_der(self, anonymous, ca, revoked):
        response = _fetch(anonymous, revoked.issuer.slug, "crt")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-cert"
        assert x509.load_der_x509_certificate(response.content) == ca.chain(revoked)[0]

    def test_pem(self, anonymous, ca, revoked):
        response = _fetch(anonymous, revoked.issuer.parent.slug, "pem")
        assert response.status_code == 200
        assert x509.load_pem_x509_certificate(response.content) == ca.chain(revoked)[1]

    @pytest.mark.parametrize("kind", ["crl", "crt", "pem"])
    def test_unknown_slug(self, anonymous, kind):
        assert _fetch(anonymous, "nobody-root", kind).status_code == 404

    def test_post_is_refused(self, anonymous, revoked):
        url = reverse("pki:crl", kwargs={"slug": revoked.issuer.slug})
        assert anonymous.post(url).status_code == 405

    def test_urls_in_certificates_resolve(self, anonymous, ca, revoked, settings):
        leaf = x509.load_pem_x509_certificate(revoked.pem.encode())
        url = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
        path = url.removeprefix(settings.SITE_URL)
        assert path == f"/pki/{revoked.issuer.slug}.crl"
        with _scoped():
            assert anonymous.get(path).status_code == 200


@pytest.mark.django_db
class TestBundles:
    @pytest.fixture
    def material(self, ca):
        product = make_product("ssl-wild", validation="DV", product_type=ProductType.WILDCARD)
        issued = ca.issue(
            product=product, csr_pem=make_csr("*.acme.test"), common_name="*.acme.test", names=["acme.test"]
        )
        return x509.load_pem_x509_certificate(issued.pem.encode()), ca.chain(issued)

    def test_pkcs7_holds_the_full_chain(self, material):
        leaf, chain = material
        certs = pkcs7.load_der_pkcs7_certificates(bundles.pkcs7_der(leaf, chain))
        assert len(certs) == 3
        assert set(certs) == {leaf, *chain}

    def test_chain_pem_order(self, material):
        leaf, chain = material
        certs = x509.load_pem_x509_certificates(bundles.chain_pem(leaf, chain).encode())
        assert certs == [leaf, chain[0]]  # the self-signed root stays out of the full chain
        assert x509.load_pem_x509_certificate(bundles.leaf_pem(leaf).encode()) == leaf
        assert x509.load_pem_x509_certificate(bundles.root_pem(chain).encode()) == chain[1]

    def test_zip_bundle(self, material):
        leaf, chain = material
        archive = zipfile.ZipFile(io.BytesIO(bundles.zip_bundle(leaf, chain)))
        assert sorted(archive.namelist()) == [
            "root.pem",
            "wildcard.acme.test-fullchain.pem",
            "wildcard.acme.test.cer",
            "wildcard.acme.test.p7b",
        ]
        assert x509.load_pem_x509_certificate(archive.read("wildcard.acme.test.cer")) == leaf
        assert len(pkcs7.load_der_pkcs7_certificates(archive.read("wildcard.acme.test.p7b"))) == 3
        assert len(x509.load_pem_x509_certificates(archive.read("wildcard.acme.test-fullchain.pem"))) == 2
        assert x509.load_pem_x509_certificate(archive.read("root.pem")) == chain[1]

    @pytest.mark.parametrize(
        ("name", "safe"),
        [
            ("*.acme.test", "wildcard.acme.test"),
            ("../../etc/passwd", "etc_passwd"),
            ("Alice Admin", "Alice_Admin"),
            ("", "certificate"),
            ("é.test", "test"),
        ],
    )
    def test_safe_filename(self, name, safe):
        assert bundles.safe_filename(name) == safe
