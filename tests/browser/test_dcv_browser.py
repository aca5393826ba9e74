"""ORD-8 in headless Chromium: the customer reads the DNS instructions on the DCV page, publishes the
TXT record on a real DNS server, clicks "Check now", changes a method; staff then issue."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from orders.models import Certificate, DcvCheck, Order, OrderStatus
from orders.services import issue_certificate
from tests import factories
from tests.support.dcv import DnsServer, use_peers
from tests.support.orders import make_order

S = OrderStatus
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.urls_dcv"),
]


@pytest.fixture
def dns_server(settings, live_server):
    settings.SITE_URL = live_server.url
    with DnsServer() as server:
        use_peers(settings, server)
        yield server


def test_customer_passes_dcv_in_the_browser_then_staff_issue(
    live_server, browser, dns_server, account, product, tech, staff
):
    with scopes_disabled():
        order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test"])
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("[name=login]", tech.username)
    page.fill("[name=password]", factories.PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/home/")

    page.goto(f"{live_server.url}/dcv/order/{order.reference}/")
    www = page.locator(".dcv-check", has_text="www.acme.test").first
    expect(www).to_contain_text("_pki-validation.www.acme.test")
    token = www.locator("dd code.token").nth(1).inner_text()
    with scopes_disabled():
        assert token == DcvCheck.objects.get(order=order, domain="www.acme.test").token
        assert Order.objects.get(pk=order.pk).status == S.AWAITING_DCV

    # Not published yet: the page says what it saw.
    www.get_by_role("button", name="Check now").click()
    expect(page.locator("ul.messages")).to_contain_text("www.acme.test is not validated yet")
    expect(page.locator(".dcv-check", has_text="www.acme.test").first.locator("pre")).to_contain_text(
        "TXT _pki-validation.www.acme.test: none"
    )

    dns_server.add("_pki-validation.www.acme.test", "TXT", f'"{token}"')
    page.locator(".dcv-check", has_text="www.acme.test").first.get_by_role("button", name="Check now").click()
    expect(page.locator("ul.messages")).to_contain_text("www.acme.test is validated.")

    # The second name by a CNAME, after asking for a new random value with the same method.
    bare = page.locator("section.dcv-check").nth(1)
    expect(bare.locator("h2")).to_contain_text("acme.test")
    old = bare.locator("dd code.token").nth(1).inner_text()
    bare.get_by_role("button", name="Change").click()
    expect(page.locator("ul.messages")).to_contain_text("new random value")
    bare = page.locator("section.dcv-check").nth(1)
    target = bare.locator("dd code.token").nth(3).inner_text()
    assert old not in target
    dns_server.add("_pki-validation.acme.test", "CNAME", target + ".")
    bare.get_by_role("button", name="Check now").click()
    expect(page.locator("ul.messages")).to_contain_text("acme.test is validated.")

    with scopes_disabled():
        order.refresh_from_db()
        assert order.status == S.UNDER_VERIFICATION
        issue_certificate(order, user=staff)
        assert Certificate.objects.filter(order=order).count() == 1
