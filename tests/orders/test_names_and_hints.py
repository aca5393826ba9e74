"""Names and small things (issue 8 point 16): a product named once, each product's own delivery time,
one "Forgot your password?" link, KeyBot's wording, review hints that match the product and the user,
one DCV email per approved address of the base domain, a migration list of delivered and paid orders
only, the staff admin's names as a list and language as a choice."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Right
from catalog.models import Product
from catalog.seed import load_catalog
from orders.models import DcvCheck, OrderStatus
from orders.services.dcv import confirm_email, start_dcv
from orders.services.migration import migrable_orders
from tests.factories import make_product, make_user
from tests.support.dcv import DnsServer, use_peers
from tests.support.ordering import review_page, token_of
from tests.support.orders import form_data, make_order

S = OrderStatus


@pytest.mark.django_db
def test_a_product_is_named_once(client, tech, account):
    load_catalog()
    sectigo_ov = Product.objects.get(code="sectigo-ov")
    assert str(sectigo_ov) == "Sectigo OV SSL"
    assert str(Product.objects.get(code="tbs-x509-ssl-dv")) == "TBS X509 SSL DV"
    order = make_order(account, sectigo_ov)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Sectigo OV SSL" in page and "Sectigo Sectigo" not in page


@pytest.mark.django_db
def test_the_new_order_page_shows_each_products_own_delivery_time(client, tech):
    load_catalog()
    client.force_login(tech)
    page = client.get(reverse("operations:new")).content.decode()
    row = re.search(r'data-product="sectigo-ev">(.*?)</tr>', page, re.S).group(1)
    assert 'class="delivery">2-5 days<' in row and "DV: minutes" not in row
    dv_row = re.search(r'data-product="sectigo-dv">(.*?)</tr>', page, re.S).group(1)
    assert 'class="delivery">minutes<' in dv_row


@pytest.mark.django_db
def test_the_login_page_offers_forgot_your_password_once(client):
    page = client.get(reverse("account_login")).content.decode()
    assert page.count("Forgot your password?") == 1


@pytest.mark.django_db
def test_keybot_says_nobody_not_even_us_can_recover_the_key(client, tech, product):
    client.force_login(tech)
    page = client.get(reverse("operations:order", args=[product.code])).content.decode()
    assert "nobody, not even us, can recover it" in page and "not even you" not in page


def _review(client, account, product) -> str:
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code == 302, response.content.decode()[:1500]
    return review_page(client, token_of(response))


@pytest.mark.django_db
def test_the_review_of_a_dv_product_names_no_holder_organisation(client, tech, account):
    dv = make_product("dv", product_type="server_dv", validation="DV")
    client.force_login(tech)
    page = _review(client, account, dv)
    assert "Holder organisation" not in page and "names no organisation" in page


@pytest.mark.django_db
def test_the_review_of_an_ov_product_names_the_holder_organisation(client, tech, account, product):
    client.force_login(tech)
    page = _review(client, account, product)
    assert "Holder organisation" in page and "names no organisation" not in page


@pytest.mark.django_db
def test_the_approval_banner_only_for_a_user_whose_order_waits_for_approval(client, account, product):
    account.approval_mode = True
    account.save(update_fields=["approval_mode"])
    approver = make_user(account, "approver", rights=[Right.TECHNICAL, Right.APPROVAL])
    technical = make_user(account, "technical", rights=[Right.TECHNICAL])
    client.force_login(technical)
    assert "approval-note" in _review(client, account, product)
    client.force_login(approver)
    assert "approval-note" not in _review(client, account, product)


@pytest.mark.django_db
@pytest.mark.urls("tests.support.urls_dcv")
def test_email_dcv_sends_one_email_for_the_base_domain_and_its_link_confirms_every_name(
    settings, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    order = make_order(
        account,
        product,
        status=S.UNDER_VERIFICATION,
        paid=True,
        common_name="www.acme.test",
        sans=["acme.test", "mail.acme.test"],
    )
    order.dcv_method = "email"
    order.save(update_fields=["dcv_method"])
    with DnsServer() as dns_server:
        use_peers(settings, dns_server)
        with django_capture_on_commit_callbacks(execute=True):
            checks = start_dcv(order)
        assert len(checks) == 3 and {c.email_address for c in checks} == {"admin@acme.test"}
        assert [m.to for m in mailoutbox] == [["admin@acme.test"]]
        body = mailoutbox[0].body
        assert all(name in body for name in ("www.acme.test", "acme.test", "mail.acme.test"))
        with django_capture_on_commit_callbacks(execute=True):
            confirm_email(checks[0])
    assert not DcvCheck.objects.filter(order=order, validated_at=None).exists()


@pytest.mark.django_db
def test_the_migration_list_has_no_cancelled_or_unpaid_order(account):
    sectigo = make_product("sectigo-ov-x", brand_code="sectigo")
    kept = make_order(account, sectigo, status=S.DELIVERED_PAID)
    for status in (S.CANCELLED, S.CANCELLED_REFUNDED, S.AWAITING_PAYMENT, S.DELIVERED_NOT_PAID, S.QUOTE):
        make_order(account, sectigo, status=status)
    assert list(migrable_orders(account)) == [kept]


@pytest.mark.django_db
def test_the_staff_admin_lists_additional_names_and_offers_the_language_as_a_choice(
    client, staff, account, product
):
    order = make_order(account, product, sans=["acme.test", "mail.acme.test"])
    client.force_login(staff)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert '<ul class="additional-names"><li>acme.test</li><li>mail.acme.test</li></ul>' in page
    assert '["acme.test"' not in page
    page = client.get(reverse("admin:accounts_account_change", args=[account.pk])).content.decode()
    assert re.search(r'<select name="language"[^>]*>\s*<option value="en"', page)
    user = make_user(account, "someone")
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert '<select name="language"' in page and '<option value="fr">French</option>' in page
