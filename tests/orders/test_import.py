"""ORD-15 import of certificates bought elsewhere: PEM, DER, PKCS#7 (files or pasted), leaves only,
duplicates, bad files answered per file, the product guess, what the import stores, where imports show up,
rights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Contact, Organisation, Right
from orders.models import Certificate, Order, OrderOrigin, OrderStatus
from orders.services.imports import ImportFileError, import_certificates, read_certificates, split_chain
from orders.services.renewal import renewal_candidates
from tests.factories import make_csr, make_key, make_product, make_user
from tests.support.lifecycle import ForeignCA, der, fingerprint, p7b, pem, use_lifecycle_urls
from tests.support.orders import contacts_of

URL = "lifecycle:import"


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)


@pytest.fixture
def ca():
    return ForeignCA()


@pytest.fixture
def catalogue(db):
    return {
        "digicert-ov": make_product(
            "digicert-ov", brand_code="digicert", product_type="server_ov", validation="OV"
        ),
        "digicert-dv": make_product(
            "digicert-dv", brand_code="digicert", product_type="server_dv", validation="DV"
        ),
        "digicert-multi": make_product(
            "digicert-multi", brand_code="digicert", product_type="multi_domain", validation="OV"
        ),
        "tbs-dv": make_product("tbs-dv", product_type="server_dv", validation="DV"),
        "tbs-client": make_product(
            "tbs-client", product_type="client", validation="IV", publicly_trusted_tls=False
        ),
    }


def form(account, *files, pasted: str = "", product: str = "") -> dict:
    holder, _admin, tech = contacts_of(account)
    return {
        "files": list(files),
        "pasted": pasted,
        "organisation": holder.public_id,
        "manager": tech.public_id,
        "product": product,
    }


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post(client, account, *files, **kwargs):
    response = client.post(reverse(URL), form(account, *files, **kwargs))
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


# ---------------------------------------------------------------- reading files


def test_pem_der_and_pkcs7_are_read(ca):
    leaf = ca.leaf("www.acme.test")
    assert read_certificates(pem(leaf)) == [leaf]
    assert read_certificates(der(leaf)) == [leaf]
    assert set(read_certificates(p7b(leaf, ca.issuing, ca.root))) == {leaf, ca.issuing, ca.root}
    pem_p7 = p7b(leaf, ca.issuing, encoding=serialization.Encoding.PEM)
    assert set(read_certificates(pem_p7)) == {leaf, ca.issuing}
    assert split_chain(read_certificates(pem(ca.root, leaf, ca.issuing))) == ([leaf], 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is not a certificate", "neither a PEM, DER nor PKCS#7"),
        (b"\x30\x82\x01\x00garbage", "neither a PEM, DER nor PKCS#7"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "damaged"),
        (b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "damaged"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "holds no certificate"),
        (b"x" * (300 * 1024), "larger than 256 KiB"),
    ],
)
def test_bad_files_say_why(content, message):
    with pytest.raises(ImportFileError) as caught:
        read_certificates(content)
    assert message in caught.value.message


def test_private_keys_and_requests_are_refused():
    key = make_key("p256").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ImportFileError, match="private key"):
        read_certificates(key)
    with pytest.raises(ImportFileError, match="signing request"):
        read_certificates(make_csr("www.acme.test").encode())


# ---------------------------------------------------------------- importing through the page


@pytest.mark.django_db
def test_import_of_pem_der_and_pkcs7_files(client, tech, account, catalogue, ca):
    leaves = [
        ca.leaf(f"h{i}.acme.test", [f"h{i}.acme.test"], org="Acme Hosting", policy="2.23.140.1.2.2")
        for i in range(3)
    ]
    client.force_login(tech)
    page = post(
        client,
        account,
        upload("a.pem", pem(leaves[0], ca.issuing)),
        upload("b.cer", der(leaves[1])),
        upload("c.p7b", p7b(leaves[2], ca.issuing, ca.root)),
    )
    assert "3 imported, 0 duplicate(s) skipped, 0 error(s)." in page
    assert "2 CA certificate(s) of the chain were not imported." in page  # c.p7b's chain
    certificates = Certificate.objects.filter(account=account).select_related("order__product")
    assert {c.fingerprint_sha256 for c in certificates} == {fingerprint(leaf) for leaf in leaves}
    certificate = certificates.get(common_name="h0.acme.test")
    order = certificate.order
    holder, _admin, manager = contacts_of(account)
    assert order.origin == OrderOrigin.IMPORT and order.status == OrderStatus.DELIVERED_PAID
    assert (
        order.price_excl_vat == 0 and order.product == catalogue["digicert-ov"]
    )  # issuer DigiCert, OV policy
    assert order.organisation == holder and order.technical_contact == manager == order.admin_contact
    assert order.period_months == 12 and order.created_by == tech and order.reference in page
    assert (
        certificate.imported
        and certificate.issuer is None
        and "DigiCert TLS RSA CA" in certificate.issuer_name
    )
    assert certificate.serial == f"{leaves[0].serial_number:x}" and certificate.hash_algorithm == "sha256"
    assert (
        certificate.not_after == leaves[0].not_valid_after_utc
        and certificate.state == Certificate.State.VALID
    )
    assert len(certificate.public_key_sha256) == 64 and "BEGIN CERTIFICATE" in certificate.pem
    assert AuditEvent.objects.filter(action="certificate.imported", account=account).count() == 3


@pytest.mark.django_db
def test_pasted_bundle_and_duplicates(client, tech, account, catalogue, ca):
    first, second = ca.leaf("one.acme.test"), ca.leaf("two.acme.test")
    client.force_login(tech)
    page = post(
        client,
        account,
        upload("one.pem", pem(first)),
        upload("again.pem", pem(first)),
        pasted=pem(first, second, ca.issuing).decode(),
    )
    assert "2 imported, 2 duplicate(s) skipped, 0 error(s)." in page
    assert page.count("Twice in this upload.") == 2
    assert Certificate.objects.filter(account=account).count() == 2
    page = post(client, account, upload("later.der", der(second)))
    assert "0 imported, 1 duplicate(s) skipped" in page and "Already on your account." in page
    existing = Certificate.objects.get(fingerprint_sha256=fingerprint(second)).order
    assert reverse("orders:detail", args=[existing.reference]) in page
    assert Certificate.objects.filter(account=account).count() == 2


@pytest.mark.django_db
def test_bad_files_are_listed_beside_good_ones(client, tech, account, catalogue, ca):
    good = ca.leaf("good.acme.test")
    client.force_login(tech)
    page = post(
        client,
        account,
        upload("good.pem", pem(good)),
        upload("junk.bin", b"\x00\x01junk"),
        upload("chain.pem", pem(ca.issuing, ca.root)),
        upload("request.csr", make_csr("x.acme.test").encode()),
    )
    assert "1 imported, 0 duplicate(s) skipped, 3 error(s)." in page
    assert "junk.bin" in page and "chain.pem" in page and "holds only CA certificates" in page
    assert "request.csr" in page and "signing request" in page


@pytest.mark.django_db
def test_a_certificate_imported_elsewhere_keeps_its_real_serial(
    tech, outsider, account, other_account, catalogue, ca
):
    leaf = ca.leaf("shared.example.test")
    for user, acc in ((outsider, other_account), (tech, account)):
        holder, _admin, manager = contacts_of(acc)
        result = import_certificates(
            acc, [("x.pem", pem(leaf))], organisation=holder, manager=manager, user=user
        )
        assert len(result.imported) == 1  # another account's copy is not a duplicate here
    serials = set(
        Certificate.objects.filter(fingerprint_sha256=fingerprint(leaf)).values_list("serial", flat=True)
    )
    assert serials == {f"{leaf.serial_number:x}"}  # serials are unique per issuer, not portal-wide
    assert Certificate.objects.filter(fingerprint_sha256=fingerprint(leaf)).count() == 2


@pytest.mark.django_db
def test_a_serial_is_unique_per_issuer_only(tech, account, catalogue, ca):
    from django.db import IntegrityError, transaction

    from orders.ca import get_connector

    holder, _admin, manager = contacts_of(account)
    import_certificates(
        account, [("x.pem", pem(ca.leaf("u.acme.test")))], organisation=holder, manager=manager, user=tech
    )
    first = Certificate.objects.get()
    brand = first.order.product.brand
    root, issuing = get_connector(brand).authorities(brand)
    copy = {
        f.attname: getattr(first, f.attname) for f in Certificate._meta.concrete_fields if not f.primary_key
    }
    Certificate.objects.create(**{**copy, "issuer_id": root.pk})
    Certificate.objects.create(**{**copy, "issuer_id": issuing.pk})  # another issuer: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(**{**copy, "issuer_id": issuing.pk})  # the same issuer twice: refused


@pytest.mark.django_db
def test_the_product_guess_and_the_users_choice(tech, account, catalogue, ca):
    holder, _admin, manager = contacts_of(account)
    leaves = {
        "multi": ca.leaf("a.acme.test", ["shop.example.org"], org="Acme", policy="2.23.140.1.2.2"),
        "dv": ca.leaf("b.acme.test"),
        "client": ca.leaf("alice.acme.test", eku=ExtendedKeyUsageOID.CLIENT_AUTH),
    }
    result = import_certificates(
        account, [(k, pem(v)) for k, v in leaves.items()], organisation=holder, manager=manager, user=tech
    )
    products = {row["file"]: row["product"] for row in result.imported}
    assert products == {
        "multi": str(catalogue["digicert-multi"]),
        "dv": str(catalogue["digicert-dv"]),
        "client": str(catalogue["tbs-client"]),
    }  # DigiCert sells no client product here: ours
    chosen = import_certificates(
        account,
        [("c", pem(ca.leaf("c.acme.test")))],
        organisation=holder,
        manager=manager,
        user=tech,
        product=catalogue["tbs-dv"],
    )
    assert chosen.imported[0]["product"] == str(catalogue["tbs-dv"])


@pytest.mark.django_db
def test_expired_certificates_are_imported_as_expired(tech, account, catalogue, ca):
    holder, _admin, manager = contacts_of(account)
    old = ca.leaf("old.acme.test", not_before=timezone.now() - timedelta(days=400), days=365)
    result = import_certificates(
        account, [("old.pem", pem(old))], organisation=holder, manager=manager, user=tech
    )
    assert result.imported[0]["expired"]
    assert Certificate.objects.get(fingerprint_sha256=fingerprint(old)).state == Certificate.State.EXPIRED


@pytest.mark.django_db
def test_imports_appear_in_lists_renewals_and_migration(client, tech, account, catalogue, ca):
    ending = ca.leaf("ending.acme.test", not_before=timezone.now() - timedelta(days=340), days=365)
    client.force_login(tech)
    post(client, account, upload("ending.pem", pem(ending)))
    order = Order.objects.get(account=account, common_name="ending.acme.test")
    assert order in renewal_candidates(account)
    assert order.reference in client.get(reverse("orders:list")).content.decode()
    assert order.reference in client.get(reverse("lifecycle:renewals")).content.decode()
    assert order.reference in client.get(reverse("lifecycle:migrate")).content.decode()
    assert client.get(reverse("orders:detail", args=[order.reference])).status_code == 200


# ---------------------------------------------------------------- the form and rights


@pytest.mark.django_db
def test_form_errors_stay_next_to_their_fields(client, tech, account, other_account, catalogue):
    client.force_login(tech)
    assert client.get(reverse(URL)).status_code == 200
    page = client.post(reverse(URL), form(account)).content.decode()
    assert "Choose at least one file or paste a certificate." in page
    foreign_org = Organisation.objects.filter(account=other_account).first()
    foreign_contact = Contact.objects.filter(account=other_account).first()
    data = {
        **form(account, pasted="x"),
        "organisation": foreign_org.public_id,
        "manager": foreign_contact.public_id,
    }
    page = client.post(reverse(URL), data).content.decode()
    assert page.count("Select a valid choice") == 2
    assert not Order.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_commercial_only_user_is_refused(client, account, catalogue, ca):
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(reverse(URL)).status_code == 403
    assert (
        client.post(reverse(URL), form(account, upload("a.pem", pem(ca.leaf("a.acme.test"))))).status_code
        == 403
    )
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_results_belong_to_the_session_that_imported(client, tech, outsider, account, catalogue, ca):
    client.force_login(tech)
    response = client.post(reverse(URL), form(account, upload("a.pem", pem(ca.leaf("a.acme.test")))))
    result_url = response["Location"]
    assert client.get(result_url).status_code == 200
    client.force_login(outsider)
    assert client.get(result_url).status_code == 404
