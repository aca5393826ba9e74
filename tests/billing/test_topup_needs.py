"""LEDG-4 from the orders side: the global top-up for orders lacking tokens, the renewals forecast."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.services.ledger import credit_tokens
from orders.models import OrderStatus
from orders.services.topup_needs import lacking_tokens, renewal_token_needs
from tests.support.orders import make_order


def test_orders_awaiting_payment_lack_the_tokens_not_held(account, product):
    make_order(account, product)
    make_order(account, product, common_name="www2.acme.test")
    make_order(account, product, common_name="paid.acme.test", status=OrderStatus.UNDER_VERIFICATION)
    assert lacking_tokens(account) == {product.pk: 2}
    credit_tokens(account, product, 1, reference="T-1")
    assert lacking_tokens(account) == {product.pk: 1}
    credit_tokens(account, product, 5, reference="T-2")
    assert lacking_tokens(account) == {}


def test_formulas_without_tokens_lack_nothing(account, product):
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    make_order(account, product)
    assert lacking_tokens(account) == {}
    assert renewal_token_needs(account, timezone.localdate(), timezone.localdate()) == []


def test_home_links_the_global_top_up_prefilled(client, account, billing, product):
    make_order(account, product)
    client.force_login(billing)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-global-topup"' in page
    assert f"/account/top-up/?product={product.code}&amp;quantity=1" in page


def test_renewals_due_in_the_period_need_one_token_each(account, other_account, product):
    soon = timezone.now() + timedelta(days=20)
    later = timezone.now() + timedelta(days=200)
    due = make_order(account, product, status=OrderStatus.DELIVERED_PAID, subscription_ends_at=soon)
    make_order(
        account,
        product,
        common_name="later.acme.test",
        status=OrderStatus.DELIVERED_PAID,
        subscription_ends_at=later,
    )
    make_order(
        account,
        product,
        common_name="stop.acme.test",
        status=OrderStatus.DELIVERED_PAID,
        subscription_ends_at=soon,
        do_not_renew=True,
    )
    make_order(
        other_account,
        product,
        common_name="www.globex.test",
        status=OrderStatus.DELIVERED_PAID,
        subscription_ends_at=soon,
    )
    today = timezone.localdate()
    needs = renewal_token_needs(account, today, today + timedelta(days=30))
    assert needs == [(product, 1, [due.reference])]


@pytest.mark.django_db
def test_renewals_top_up_page_uses_the_forecast(client, account, billing, product):
    make_order(
        account,
        product,
        status=OrderStatus.DELIVERED_PAID,
        subscription_ends_at=timezone.now() + timedelta(days=20),
    )
    client.force_login(billing)
    today = timezone.localdate()
    page = client.get(
        reverse("account_info:topup_renewals"),
        {"start": today.isoformat(), "end": (today + timedelta(days=60)).isoformat()},
    ).content.decode()
    assert product.name in page
