"""ORD-2 / STAFF-3: the certification chains and DCV methods of a brand are catalogue data that
staff edit; the order form, reissues, downloads and external links follow them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from catalog.models import Brand, Chain
from orders.models import Certificate
from tests.factories import make_csr, make_key
from tests.support.lifecycle import REAUTH_TIMEOUT, delivered_order, log_in, use_lifecycle_urls

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def chains(product):
    modern = Chain.objects.create(brand=product.brand, code="modern", label="Modern root", recommended=True)
    legacy = Chain.objects.create(
        brand=product.brand, code="legacy", label="Legacy root (older devices)", cross_signed=True
    )
    return modern, legacy


def download(client, certificate: Certificate, fmt: str) -> bytes:
    url = reverse("orders:download", args=[certificate.order.reference, certificate.serial, fmt])
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content


def common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)


def openssl_verify(tmp_path: Path, fullchain: bytes, root: bytes) -> subprocess.CompletedProcess:
    """Verify the first certificate of a full-chain download against the downloaded root only."""
    certificates = x509.load_pem_x509_certificates(fullchain)
    (tmp_path / "leaf.pem").write_bytes(certificates[0].public_bytes(Encoding.PEM))
    (tmp_path / "chain.pem").write_bytes(fullchain)
    (tmp_path / "root.pem").write_bytes(root)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def reissue_data(order, **overrides) -> dict[str, str]:
    data = {
        "reason": "lost",
        "replaced": order.certificates.get().serial,
        "old_certificate": "keep",
        "grace_days": "",
        "csr": make_csr(order.common_name, order.sans, key=make_key("p256")),
        "sans": "\n".join(order.sans),
        "server_software": "",
        "server_software_other": "",
    }
    data.update(overrides)
    return data


def test_a_reissue_changes_the_chain_and_the_download_verifies_with_openssl(
    client, tech, account, product, chains, tmp_path
):
    order = delivered_order(account, product, options={"chain": "modern"})
    first = order.certificates.get()
    log_in(client, tech, seconds_ago=REAUTH_TIMEOUT + 60)
    form = client.get(reverse("lifecycle:reissue", args=[order.reference]))
    assert form.context["form"]["chain"].value() == "modern"
    assert "Legacy root (older devices)" in form.content.decode()

    response = client.post(
        reverse("lifecycle:reissue", args=[order.reference]), reissue_data(order, chain="legacy")
    )
    assert response.status_code == 302, response.context["form"].errors
    second = order.certificates.exclude(pk=first.pk).get()
    order.refresh_from_db()
    assert second.chain == "legacy" and order.options["chain"] == "legacy"

    legacy_root = x509.load_pem_x509_certificate(download(client, second, "root"))
    assert common_name(legacy_root).endswith("Demo Legacy Root CA")
    presented = x509.load_pem_x509_certificates(download(client, second, "fullchain"))
    # leaf, issuing CA, then the brand root as cross-certified by the legacy root
    assert presented[2].subject == x509.load_pem_x509_certificate(download(client, first, "root")).subject
    assert presented[2].issuer == legacy_root.subject
    result = openssl_verify(tmp_path, download(client, second, "fullchain"), download(client, second, "root"))
    assert result.returncode == 0, result.stderr + result.stdout

    # The first certificate keeps its modern chain, which does not lead to the legacy root.
    modern_root = download(client, first, "root")
    assert common_name(x509.load_pem_x509_certificate(modern_root)).endswith("Demo Root CA")
    assert openssl_verify(tmp_path, download(client, first, "fullchain"), modern_root).returncode == 0
    refused = openssl_verify(tmp_path, download(client, first, "fullchain"), download(client, second, "root"))
    assert refused.returncode != 0


def test_a_reissue_refuses_a_chain_the_brand_does_not_offer(client, tech, account, product, chains):
    order = delivered_order(account, product)
    log_in(client, tech, seconds_ago=REAUTH_TIMEOUT + 60)
    response = client.post(
        reverse("lifecycle:reissue", args=[order.reference]), reissue_data(order, chain="unknown")
    )
    assert response.status_code == 200
    assert "chain" in response.context["form"].errors
    assert order.certificates.count() == 1


def test_a_chain_staff_stop_offering_leaves_the_order_form(client, tech, product, chains):
    client.force_login(tech)
    url = reverse("operations:order", args=[product.code]) + "?months=12"
    page = client.get(url).content.decode()
    assert "Legacy root (older devices)" in page
    Chain.objects.filter(code="legacy").update(active=False)
    assert "Legacy root (older devices)" not in client.get(url).content.decode()


def brand_admin_data(brand: Brand, methods: list[str]) -> dict[str, object]:
    return {
        "code": brand.code,
        "name": brand.name,
        "active": "on",
        "delivery_time": brand.delivery_time,
        "position": brand.position,
        "dcv_methods": methods,
        "chains-TOTAL_FORMS": 0,
        "chains-INITIAL_FORMS": 0,
        "chains-MIN_NUM_FORMS": 0,
        "chains-MAX_NUM_FORMS": 1000,
    }


def test_staff_change_a_brands_dcv_methods_and_the_order_form_follows(client, staff, tech, product):
    order_url = reverse("operations:order", args=[product.code]) + "?months=12"
    client.force_login(tech)
    offered = [value for value, _ in client.get(order_url).context["req"].order["dcv_method"].field.choices]
    assert "http" in offered

    client.force_login(staff)
    change = reverse("admin:catalog_brand_change", args=[product.brand.pk])
    response = client.post(change, brand_admin_data(product.brand, ["email", "dns"]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.brand.refresh_from_db()
    assert product.brand.dcv_methods == ["dns", "email"]

    client.force_login(tech)
    offered = [value for value, _ in client.get(order_url).context["req"].order["dcv_method"].field.choices]
    assert offered == ["dns", "email"]


def test_staff_cannot_leave_a_brand_without_a_dcv_method(client, staff, product):
    client.force_login(staff)
    change = reverse("admin:catalog_brand_change", args=[product.brand.pk])
    response = client.post(change, brand_admin_data(product.brand, []))
    assert response.status_code == 200
    assert "dcv_methods" in response.context["adminform"].form.errors
    product.brand.refresh_from_db()
    assert product.brand.dcv_methods == ["dns", "http", "email"]


def test_external_order_link_offers_only_the_brands_methods(product):
    from orders.link_forms import ExternalOrderForm

    product.brand.dcv_methods = ["dns"]
    product.brand.save()
    form = ExternalOrderForm(product=product)
    assert [value for value, _ in form.fields["dcv_method"].choices] == ["dns"]
