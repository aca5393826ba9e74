"""LIFE-8: users added to a delivered signature solution, priced pro rata of the days left."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Document
from catalog.models import ProductType
from orders.models import OrderStatus
from orders.services.signature_options import prorata_price
from tests.factories import make_product
from tests.support.orders import make_order


@pytest.fixture
def solution(account):
    product = make_product("sign-platform", product_type=ProductType.SIGNATURE, requires_csr=False)
    order = make_order(
        account,
        product,
        status=OrderStatus.DELIVERED_PAID,
        paid=True,
        options={"user_type": "advanced", "users": 5},
    )
    # Paid 100 days ago on a 12-month subscription.
    type(order).objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=100))
    order.refresh_from_db()
    return order


def url(order):
    return f"/orders/{order.reference}/signature-users/"


def test_price_is_pro_rata_of_the_days_left(solution):
    price, days = prorata_price(solution, 2, "advanced", timezone.now())
    assert 263 <= days <= 266
    assert price == (Decimal("60.00") * 2 * days / 365).quantize(Decimal("0.01"))


def test_preview_then_add_invoices_and_counts_the_users(client, tech, solution):
    client.force_login(tech)
    preview = client.post(url(solution), {"users": "2", "user_type": "advanced"})
    assert 'data-testid="prorata"' in preview.content.decode()
    assert not Document.objects.filter(source_reference=solution.reference).exists()
    response = client.post(url(solution), {"users": "2", "user_type": "advanced", "confirm": "1"})
    assert response.status_code == 302
    solution.refresh_from_db()
    assert solution.options["users"] == 7
    invoice = Document.objects.get(source_reference=solution.reference, kind="invoice")
    expected, _days = prorata_price(solution, 2, "advanced", timezone.now())
    assert invoice.total_excl_vat == expected


def test_refusals(client, tech, billing, outsider, account, solution):
    client.force_login(billing)
    assert client.get(url(solution)).status_code == 403
    client.force_login(outsider)
    assert client.get(url(solution)).status_code == 404
    client.force_login(tech)
    page = client.post(
        url(solution), {"users": "0", "user_type": "advanced", "confirm": "1"}
    ).content.decode()
    assert "errorlist" in page
    server = make_order(
        account,
        make_product("plain"),
        status=OrderStatus.DELIVERED_PAID,
        paid=True,
        common_name="srv.acme.test",
    )
    response = client.get(url(server), follow=True)
    assert "delivered signature solution only" in response.content.decode()
