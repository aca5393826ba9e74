"""LIFE-2 status page and LIFE-7 certificates of an order; rights and tenant isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Right
from orders.models import OrderStatus
from orders.services import issue_certificate, record_payment
from tests.factories import make_product, make_user
from tests.support.orders import make_order, pass_dcv

S = OrderStatus


def detail_url(order):
    return reverse("orders:detail", args=[order.reference])


@pytest.mark.django_db
def test_commercial_user_sees_the_status_page(client, account, product):
    order = make_order(account, product, customer_reference="PO-7", sans=["acme.test", "mail.acme.test"])
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    page = client.get(detail_url(order)).content.decode()
    assert order.reference in page and "PO-7" in page
    assert "Awaiting payment" in page and "We are waiting for your payment" in page
    assert "mail.acme.test" in page and "Additional SAN" in page
    assert "144.00" in page  # 120.00 excl. VAT, 144.00 incl.
    assert "EC P-256" in page  # the stored CSR read back
    assert "Awaiting validation by our team" in page
    assert "No certificate has been issued" in page


@pytest.mark.django_db
def test_billing_user_is_refused(client, billing, account, product):
    order = make_order(account, product)
    client.force_login(billing)
    assert client.get(detail_url(order)).status_code == 403


@pytest.mark.django_db
def test_outsider_gets_404(client, outsider, account, product):
    order = make_order(account, product)
    client.force_login(outsider)
    assert client.get(detail_url(order)).status_code == 404


@pytest.mark.django_db
def test_delivered_order_lists_its_certificate_with_downloads(client, tech, staff, account, product):
    order = make_order(account, product, status=S.AWAITING_PAYMENT, server_software="iis")
    record_payment(order, user=staff, reference="CB-1")
    order.refresh_from_db()
    order.customer_comment = "Thank you for your documents."
    order.save()
    certificate = issue_certificate(pass_dcv(order, staff), user=staff)
    client.force_login(tech)
    page = client.get(detail_url(order)).content.decode()
    assert "Delivered and paid" in page and "Thank you for your documents." in page
    assert certificate.serial in page and certificate.hash_algorithm in page
    assert 'class="step-done"' in page and staff.username in page  # handled by
    for fmt in ("cer", "p7b", "fullchain", "root", "zip"):
        assert reverse("orders:download", args=[order.reference, certificate.serial, fmt]) in page
    # IIS: the PKCS#7 button is the highlighted one.
    p7b = reverse("orders:download", args=[order.reference, certificate.serial, "p7b"])
    assert f'<a href="{p7b}" class="btn">' in page


@pytest.mark.django_db
def test_dv_product_needs_no_ov_callback(client, tech, account):
    dv = make_product("dv", validation="DV", product_type="server_dv")
    order = make_order(account, dv)
    client.force_login(tech)
    page = client.get(detail_url(order)).content.decode()
    assert 'OV callback</dt><dd class="step-not_required">' in page
