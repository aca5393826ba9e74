"""Issue 8 point 5 (LIFE-2, ORD-10..12): the status page offers renew, reissue, clone and migrate
when the order's state allows it (the same rules as the target views) and the user holds the
Technical right those views check; never to a Billing-only user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AuditEvent, Right, User
from catalog.models import Product
from orders.models import Order, OrderOrigin, OrderStatus
from orders.services.migration import clone_url
from tests.factories import make_product, make_user
from tests.support.lifecycle import delivered_order, log_in
from tests.support.orders import make_order


def page_of(client: Client, user: User, order: Order) -> str:
    response = log_in(client, user).get(reverse("orders:detail", args=[order.reference]))
    assert response.status_code == 200
    return response.content.decode()


def renewal_href(order: Order) -> str:
    return f"from={order.reference}&amp;origin={OrderOrigin.RENEWAL.value}"


def ends_soon(order: Order) -> Order:
    """Inside the renewal window: the subscription ends in 30 days."""
    Order.objects.filter(pk=order.pk).update(subscription_ends_at=timezone.now() + timedelta(days=30))
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_delivered_order_in_its_renewal_window_offers_renew_reissue_and_clone(
    client: Client, tech: User, account: Account, product: Product
) -> None:
    order = ends_soon(delivered_order(account, product))
    page = page_of(client, tech, order)
    assert renewal_href(order) in page
    assert reverse("lifecycle:reissue", args=[order.reference]) in page
    assert clone_url(order).replace("&", "&amp;") in page
    # Our own brand's delivered order: nothing to migrate.
    assert reverse("lifecycle:migrate_order", args=[order.reference]) not in page


@pytest.mark.django_db
def test_renew_absent_before_the_window_and_reissue_absent_when_not_reissuable(
    client: Client, tech: User, account: Account
) -> None:
    product = make_product("ssl-ov-fixed", reissuable=False)
    order = delivered_order(account, product)  # a fresh certificate: the window opens months later
    page = page_of(client, tech, order)
    assert renewal_href(order) not in page
    assert reverse("lifecycle:reissue", args=[order.reference]) not in page
    assert clone_url(order).replace("&", "&amp;") in page


@pytest.mark.django_db
def test_order_not_delivered_offers_clone_only(
    client: Client, tech: User, account: Account, product: Product
) -> None:
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    page = page_of(client, tech, order)
    assert renewal_href(order) not in page
    assert reverse("lifecycle:reissue", args=[order.reference]) not in page
    assert reverse("lifecycle:migrate_order", args=[order.reference]) not in page
    assert clone_url(order).replace("&", "&amp;") in page


@pytest.mark.django_db
def test_clone_absent_when_the_product_is_no_longer_sold(
    client: Client, tech: User, account: Account, product: Product
) -> None:
    order = delivered_order(account, product)
    Product.objects.filter(pk=product.pk).update(active=False)
    page = page_of(client, tech, order)
    assert f"origin={OrderOrigin.CLONE.value}" not in page


@pytest.mark.django_db
def test_another_brands_delivered_order_offers_migrate(client: Client, tech: User, account: Account) -> None:
    make_product("ssl-ov-ours")  # something of ours to migrate to
    theirs = make_product("other-ov", brand_code="other-ca")
    order = delivered_order(account, theirs)
    page = page_of(client, tech, order)
    url = reverse("lifecycle:migrate_order", args=[order.reference])
    assert url in page
    assert log_in(client, tech).get(url).status_code == 200


@pytest.mark.django_db
def test_migrate_absent_for_an_unpaid_order_of_another_brand(
    client: Client, tech: User, account: Account
) -> None:
    theirs = make_product("other-ov", brand_code="other-ca")
    order = make_order(account, theirs, status=OrderStatus.UNDER_VERIFICATION)
    page = page_of(client, tech, order)
    assert reverse("lifecycle:migrate_order", args=[order.reference]) not in page


@pytest.mark.django_db
def test_user_without_the_technical_right_sees_no_lifecycle_action(
    client: Client, account: Account, product: Product
) -> None:
    # Billing (and Commercial, to reach the status page at all): no Technical right.
    user = make_user(account, "books", rights=[Right.BILLING, Right.COMMERCIAL])
    order = ends_soon(delivered_order(account, product))
    theirs = delivered_order(account, make_product("other-ov", brand_code="other-ca"))
    for shown in (order, theirs):
        page = page_of(client, user, shown)
        assert 'class="actions lifecycle-actions"' not in page
        assert renewal_href(shown) not in page
        assert reverse("lifecycle:reissue", args=[shown.reference]) not in page
        assert reverse("lifecycle:migrate_order", args=[shown.reference]) not in page
    # The target views refuse that user too, as the page assumes.
    assert log_in(client, user).get(reverse("lifecycle:reissue", args=[order.reference])).status_code == 403


@pytest.mark.django_db
def test_billing_only_user_cannot_open_the_status_page(
    client: Client, billing: User, product: Product
) -> None:
    order = delivered_order(billing.account, product)
    assert log_in(client, billing).get(reverse("orders:detail", args=[order.reference])).status_code == 403


@pytest.mark.django_db
def test_commercial_user_sees_no_lifecycle_action(client: Client, account: Account, product: Product) -> None:
    sales = make_user(account, "sales", rights=[Right.COMMERCIAL])
    order = ends_soon(delivered_order(account, product))
    page = page_of(client, sales, order)
    assert 'class="actions lifecycle-actions"' not in page
    assert renewal_href(order) not in page


# "Do not renew" (ORD-14) -------------------------------------------------------------------------------


def toggle(order: Order) -> str:
    return reverse("orders:do_not_renew", args=[order.reference])


@pytest.mark.django_db
def test_do_not_renew_on_then_off_from_the_status_page(
    client: Client, tech: User, account: Account, product: Product
) -> None:
    order = delivered_order(account, product)
    assert toggle(order) in page_of(client, tech, order)
    response = log_in(client, tech).post(toggle(order), {"do_not_renew": "1"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.do_not_renew
    event = AuditEvent.objects.get(action="order.do_not_renew_changed", object_id=order.reference)
    assert event.user == tech
    assert 'class="do-not-renew"' in page_of(client, tech, order)
    log_in(client, tech).post(toggle(order), {"do_not_renew": "0"})
    order.refresh_from_db()
    assert not order.do_not_renew
    assert (
        AuditEvent.objects.filter(action="order.do_not_renew_changed", object_id=order.reference).count() == 2
    )


@pytest.mark.django_db
def test_do_not_renew_refuses_another_accounts_order(
    client: Client, outsider: User, account: Account, product: Product
) -> None:
    order = delivered_order(account, product)
    assert log_in(client, outsider).post(toggle(order), {"do_not_renew": "1"}).status_code == 404
    order.refresh_from_db()
    assert not order.do_not_renew


@pytest.mark.django_db
def test_do_not_renew_refuses_a_user_without_the_technical_right(
    client: Client, account: Account, product: Product
) -> None:
    user = make_user(account, "books", rights=[Right.BILLING, Right.COMMERCIAL])
    order = delivered_order(account, product)
    assert toggle(order) not in page_of(client, user, order)
    assert log_in(client, user).post(toggle(order), {"do_not_renew": "1"}).status_code == 403
    order.refresh_from_db()
    assert not order.do_not_renew


@pytest.mark.django_db
def test_do_not_renew_refuses_bad_input_and_get(
    client: Client, tech: User, account: Account, product: Product
) -> None:
    order = delivered_order(account, product)
    log_in(client, tech)
    for data in ({}, {"do_not_renew": "yes"}):
        response = client.post(toggle(order), data, follow=True)
        assert "Choose whether this order should be renewed or not." in response.content.decode()
    assert client.get(toggle(order)).status_code == 405
    order.refresh_from_db()
    assert not order.do_not_renew
    assert not AuditEvent.objects.filter(action="order.do_not_renew_changed").exists()
