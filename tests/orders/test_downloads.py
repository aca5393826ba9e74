"""LIFE-3 downloads: each format parsed back with cryptography; tenant isolation and rights."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from django.urls import reverse

from accounts.models import Right
from orders.models import OrderStatus
from orders.services import issue_certificate
from tests.factories import make_product, make_user
from tests.support.orders import make_order, pass_dcv

S = OrderStatus


@pytest.fixture
def delivered(account, product, staff):
    order = make_order(
        account,
        product,
        status=S.UNDER_VERIFICATION,
        paid=True,
        common_name="*.acme.test",
        sans=["acme.test"],
    )
    return order, issue_certificate(pass_dcv(order, staff), user=staff)


def url(order, certificate, fmt):
    return reverse("orders:download", args=[order.reference, certificate.serial, fmt])


def assert_chains_to_root(certs: list[x509.Certificate]):
    leaf, intermediate, root = certs
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)


@pytest.fixture
def product(db):
    return make_product("wild-ov", price=Decimal("300.00"), wildcard=True, product_type="wildcard")


@pytest.mark.django_db
def test_each_format(client, tech, delivered):
    order, certificate = delivered
    client.force_login(tech)

    cer = client.get(url(order, certificate, "cer"))
    assert cer["Content-Disposition"] == 'attachment; filename="wildcard.acme.test.cer"'
    leaf = x509.load_pem_x509_certificate(cer.content)
    assert format(leaf.serial_number, "x") == certificate.serial
    assert b"BEGIN CERTIFICATE" in cer.content and cer.content.count(b"BEGIN CERTIFICATE") == 1

    p7b = client.get(url(order, certificate, "p7b"))
    assert p7b["Content-Disposition"].endswith('.p7b"')
    certs = pkcs7.load_der_pkcs7_certificates(p7b.content)
    # A PKCS#7 SET OF is DER-sorted: put the chain back in order by issuer before checking it.
    by_subject = {cert.subject: cert for cert in certs}
    intermediate = by_subject[leaf.issuer]
    assert len(certs) == 3 and leaf in certs
    assert_chains_to_root([leaf, intermediate, by_subject[intermediate.issuer]])

    fullchain = client.get(url(order, certificate, "fullchain"))
    chain = x509.load_pem_x509_certificates(fullchain.content)
    assert len(chain) == 2 and chain[0] == leaf  # the certificate and its intermediate, no root

    root = x509.load_pem_x509_certificate(client.get(url(order, certificate, "root")).content)
    assert root.subject == root.issuer and root not in chain
    assert_chains_to_root([*chain, root])

    archive = zipfile.ZipFile(io.BytesIO(client.get(url(order, certificate, "zip")).content))
    names = set(archive.namelist())
    assert names == {
        "wildcard.acme.test.cer",
        "wildcard.acme.test.p7b",
        "wildcard.acme.test-fullchain.pem",
        "root.pem",
    }
    assert x509.load_pem_x509_certificate(archive.read("wildcard.acme.test.cer")) == leaf


@pytest.mark.django_db
def test_commercial_user_may_download(client, account, delivered):
    order, certificate = delivered
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(url(order, certificate, "cer")).status_code == 200


@pytest.mark.django_db
def test_billing_user_is_refused(client, billing, delivered):
    order, certificate = delivered
    client.force_login(billing)
    assert client.get(url(order, certificate, "cer")).status_code == 403


@pytest.mark.django_db
def test_outsider_gets_404(client, outsider, delivered):
    order, certificate = delivered
    client.force_login(outsider)
    assert client.get(url(order, certificate, "cer")).status_code == 404


@pytest.mark.django_db
def test_serial_of_another_order_gets_404(client, tech, account, other_account, product, staff, delivered):
    order, _certificate = delivered
    foreign_order = make_order(other_account, product, status=S.UNDER_VERIFICATION, paid=True)
    foreign = issue_certificate(pass_dcv(foreign_order, staff), user=staff)
    sibling_order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    sibling = issue_certificate(pass_dcv(sibling_order, staff), user=staff)
    client.force_login(tech)
    assert client.get(url(order, foreign, "cer")).status_code == 404
    assert client.get(url(order, sibling, "cer")).status_code == 404


@pytest.mark.django_db
def test_unknown_format_gets_404(client, tech, delivered):
    order, certificate = delivered
    client.force_login(tech)
    assert client.get(url(order, certificate, "pfx")).status_code == 404
