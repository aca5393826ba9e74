"""Five customer journeys, end to end in headless Chromium, at a laptop's and a phone's width
(issue 8, "Done when"): approval with tokens, a promo code bringing the total to 0 €, a transfer
recorded by staff in the back office, a card payment through the offline test provider, and a
reissue from the order's status page with KeyBot.

Each step asserts what the person sees (status names, amounts, balances), and every portal page a
customer visits must fit its width: document.documentElement.scrollWidth <= clientWidth, as
test_layout_browser.py measures. Staff work at a desk: their back-office tab stays at 1366 px.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Account, Right
from billing.conf import seller
from billing.models import Document, DocumentKind, DocumentStatus, TokenMovement
from billing.services.ledger import credit_tokens, token_balance
from billing.services.promos import issue_promo_code
from orders.models import Certificate, Order, OrderStatus
from tests.browser.test_keybot_browser import generate_with_keybot, keybot_bundle  # noqa: F401 (fixture)
from tests.factories import make_csr, make_key, make_staff, make_user
from tests.support.delivered import deliver
from tests.support.orders import contacts_of, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# The order form below: 12 months at 120.00 € excl. VAT, the base domain as the one included name.
PRICE = Decimal("120.00")


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop-1366", "phone-390"])
def viewport(request) -> dict[str, int]:
    return request.param


@pytest.fixture
def journey_settings(settings, live_server, keybot_bundle):  # noqa: F811 (the imported fixture)
    settings.SITE_URL = live_server.url
    settings.STAFF_REQUIRE_2FA = False
    # KeyBot's bundle may be newer than the last collectstatic: serve static/ as it is now.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings


@pytest.fixture
def open_as(browser, live_server):
    """Opens a tab signed in as a user (the session of a real login), in English, at a width; the
    tabs are closed after the test."""
    contexts = []

    def open_tab(user, viewport: dict[str, int]) -> Page:
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport=viewport, locale="en-GB")
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                },
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
            ]
        )
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def fits(page: Page) -> None:
    """The page reads without sideways scrolling at the tab's width, and is no error page."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll > client:  # name the widest culprits
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w || e.scrollWidth > e.clientWidth + 1)
              .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + e.scrollWidth + '/' + e.clientWidth + ' ' + (e.textContent || '').trim().slice(0, 30))""",
            client,
        )
        raise AssertionError(f"{page.url} scrolls sideways: {scroll} px wide in {client} px: {wide}")
    assert "Server Error" not in page.title() and "Page not found" not in page.title(), page.url


def main_menu(page: Page):
    """The main menu as the person sees it: on a phone, opened with its "Menu" button first."""
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_visible()
    return menu


def status_badge(page: Page):
    return page.locator("section.status .badge").first


def order_form(page: Page, base: str, account: Account, product, common_name: str) -> None:
    """New order page → the product's form (ORD-2) with a pasted CSR → review page (ORD-3)."""
    holder, admin, _tech = contacts_of(account)
    page.goto(f"{base}/operations/new/")
    fits(page)
    page.locator(f"a[href*='/operations/new/{product.code}/?months=12']").first.click()
    page.wait_for_url(f"**/operations/new/{product.code}/**")
    fits(page)
    page.select_option("[name=admin_contact]", admin.public_id)
    page.check("[name=technical_same_as_admin]")
    page.select_option("[name=server_software]", "nginx")
    page.fill("[name=common_name]", common_name)
    page.fill("[name=sans]", common_name.removeprefix("www."))
    page.fill("[name=csr]", make_csr(common_name, [common_name.removeprefix("www.")], key=make_key("p256")))
    page.get_by_role("button", name="Review the order").click()
    page.wait_for_url("**/operations/review/**")
    fits(page)


def confirm(page: Page) -> str:
    """Confirm on the review page; returns the new order's reference from the confirmation page."""
    page.get_by_role("button", name="Confirm the order").click()
    page.wait_for_url("**/operations/confirmation/**")
    fits(page)
    return page.locator(".reference").inner_text().strip()


def to_status_page(page: Page, base: str, reference: str) -> None:
    """From the order list, as a customer finds an order."""
    page.goto(f"{base}/orders/")
    fits(page)
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_url(f"**/orders/{reference}/")
    fits(page)


# a. Approval with tokens ---------------------------------------------------------------------------


def test_approval_with_tokens(open_as, live_server, account, owner, product, viewport, journey_settings):
    account.approval_mode = True
    account.formula = Account.Formula.BULK
    account.save(update_fields=["approval_mode", "formula"])
    credit_tokens(account, product, 2, reference="TOPUP-JOURNEY")
    tech = make_user(account, "tech", rights=[Right.TECHNICAL])
    approver = make_user(account, "approver", rights=[Right.APPROVAL])
    base = live_server.url

    # The technician orders and pays with a token: the review page shows the holdings and the cost.
    page = open_as(tech, viewport)
    order_form(page, base, account, product, "www.acme.test")
    expect(page.locator(".token-balance")).to_have_text("2")
    page.check("input[name=method][value=tokens]")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".plan-tokens")).to_have_text("1 token")
    fits(page)
    reference = confirm(page)
    expect(page.locator("dd .badge")).to_have_text("Awaiting approval")
    expect(page.locator(".order-price")).to_contain_text("1 token, taken from your tokens")
    assert token_balance(account, product) == 2  # nothing taken before the approval

    # The approver finds it in Approval, sees its cost in tokens, approves from the portal.
    approval = open_as(approver, viewport)
    approval.goto(f"{base}/orders/approval/")
    fits(approval)
    expect(approval.locator("tr", has_text=reference)).to_contain_text("1 token")
    approval.get_by_role("link", name=reference).first.click()
    approval.wait_for_url(f"**/orders/{reference}/**")
    fits(approval)
    if "/approve/" not in approval.url:
        approval.get_by_role("link", name="Approve the order").click()
        approval.wait_for_url(f"**/orders/{reference}/approve/")
        fits(approval)
    expect(approval.locator("form.card")).to_contain_text("1 token")
    approval.get_by_role("button", name="Approve the order").click()
    approval.wait_for_url(f"**/orders/{reference}/")
    fits(approval)
    expect(approval.locator(".messages, .messagelist, [role=status]").first).to_contain_text(
        f"Order {reference} is approved"
    )
    expect(status_badge(approval)).not_to_have_text("Awaiting payment")

    # The technician's status page: approved, paid with the token, waiting for the domain check.
    to_status_page(page, base, reference)
    expect(status_badge(page)).to_have_text("Under verification")
    expect(page.locator(".payment-method")).to_contain_text("Tokens")
    expect(page.locator(".order-price")).to_contain_text("1 token")
    expect(page.locator("section.status")).to_contain_text("Approved by Approver User")
    assert page.locator("[data-testid=how-to-pay]").count() == 0
    paid = page.locator("dt:text-is('Paid') + dd").inner_text()
    assert paid != "—"

    # The owner's token statement: one token taken for this order, one left.
    books = open_as(owner, viewport)
    books.goto(f"{base}/account/statements/tokens/{product.code}/")
    fits(books)
    row = books.locator("tr", has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("-1")
    assert token_balance(account, product) == 1
    assert TokenMovement.objects.filter(reference=reference, quantity=-1).count() == 1
    order = Order.objects.get(reference=reference)
    assert order.paid_at is not None and order.status == OrderStatus.UNDER_VERIFICATION


# b. A promo code bringing the total to 0 € ----------------------------------------------------------


def test_promo_code_to_zero(open_as, live_server, account, owner, product, viewport, journey_settings):
    promo = issue_promo_code(account, PRICE, origin="gesture")
    base = live_server.url
    page = open_as(owner, viewport)
    order_form(page, base, account, product, "www.acme.test")
    expect(page.locator(".plan-total-incl")).to_contain_text("144.00 €")
    page.check("input[name=method][value=transfer]")
    page.fill("[name=promo_code]", promo.code)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".plan-discount")).to_have_text("−120.00 €")
    expect(page.locator(".plan-total-incl")).to_contain_text("0.00 €")
    fits(page)
    reference = confirm(page)
    expect(page.locator("dd .badge")).not_to_have_text("Awaiting payment")
    expect(page.locator("ol.steps")).to_contain_text("Payment: received; the order is firm.")

    to_status_page(page, base, reference)
    expect(status_badge(page)).to_have_text("Awaiting domain validation")
    assert page.locator("[data-testid=how-to-pay]").count() == 0  # nothing to pay, no bank details
    expect(page.locator(".payment-method")).to_contain_text(f"promo code {promo.code}")
    # No unpaid invoice: no badge on the menu, nothing on the unpaid-invoices page.
    expect(main_menu(page)).to_contain_text("Unpaid invoices")  # the entry is there, without a badge
    expect(main_menu(page).locator(".badge")).to_have_count(0)
    page.goto(f"{base}/accounting/unpaid/")
    fits(page)
    expect(page.locator("main")).not_to_contain_text(reference)
    assert not Document.objects.filter(
        source_reference=reference, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED
    ).exists()


# c. Transfer, recorded by staff in the back office ---------------------------------------------------


def test_transfer_recorded_by_staff(
    open_as, live_server, account, owner, product, viewport, journey_settings
):
    base = live_server.url
    bank = seller()
    page = open_as(owner, viewport)
    order_form(page, base, account, product, "www.acme.test")
    page.check("input[name=method][value=transfer]")
    reference = confirm(page)
    expect(page.locator("dd .badge")).to_have_text("Awaiting payment")

    # The status page says how to pay: the seller's bank details and the reference to quote.
    to_status_page(page, base, reference)
    how = page.locator("[data-testid=how-to-pay]")
    expect(how).to_contain_text("Amount due: 144.00 €")
    expect(how.locator(".iban")).to_have_text(bank["iban"])
    expect(how).to_contain_text(bank["bic"])
    expect(how).to_contain_text(bank["name"])
    expect(how.locator(".payment-reference")).to_have_text(reference)
    invoice = Document.objects.get(source_reference=reference, kind=DocumentKind.INVOICE)
    expect(main_menu(page).get_by_role("link", name=re.compile("Unpaid")).locator(".badge")).to_have_text("1")

    # Staff record the transfer in the back office: amount, date, reference, then confirm.
    staff = open_as(make_staff("accountant"), DESKTOP)
    staff.goto(f"{base}/staff/orders/order/?q={reference}")
    staff.get_by_role("link", name=reference).click()
    staff.get_by_role("link", name="Record a payment").click()
    staff.fill("[name=amount]", "144.00")
    staff.fill("[name=received_on]", timezone.localdate().isoformat())
    staff.select_option("[name=method]", "transfer")
    staff.fill("[name=reference]", f"VIR {reference}")
    staff.get_by_role("button", name="Continue").click()
    expect(staff.locator(".receipt-settles")).to_contain_text(invoice.display_number)
    assert Document.objects.get(pk=invoice.pk).status == DocumentStatus.ISSUED  # nothing booked yet
    staff.get_by_role("button", name="Record this payment").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("is paid")

    # The customer sees the order paid and going on, the invoice paid, no badge left.
    to_status_page(page, base, reference)
    expect(status_badge(page)).to_have_text("Awaiting domain validation")
    assert page.locator("[data-testid=how-to-pay]").count() == 0
    assert page.locator("dt:text-is('Paid') + dd").inner_text() != "—"
    expect(main_menu(page).locator(".badge")).to_have_count(0)
    page.goto(f"{base}/accounting/")
    fits(page)
    expect(page.locator("tr", has_text=invoice.display_number)).to_contain_text("Paid")
    assert Document.objects.get(pk=invoice.pk).status == DocumentStatus.PAID


# d. Card, through the offline test provider ----------------------------------------------------------


def test_card_payment_through_the_test_provider(
    open_as, live_server, account, owner, product, viewport, journey_settings
):
    base = live_server.url
    page = open_as(owner, viewport)
    order_form(page, base, account, product, "www.acme.test")
    page.check("input[name=method][value=card]")
    reference = confirm(page)
    expect(page.locator("dd .badge")).to_have_text("Awaiting payment")

    to_status_page(page, base, reference)
    expect(status_badge(page)).to_have_text("Awaiting payment")
    expect(page.locator("[data-testid=how-to-pay]")).to_contain_text("Amount due: 144.00 €")
    page.locator("[data-action=pay-card]").click()

    # The provider's page says plainly that it is a test provider, and the amount.
    page.wait_for_url("**/payments/test-provider/**")
    fits(page)
    expect(page.get_by_test_id("test-provider-banner")).to_contain_text(
        "Test payment provider — no real money"
    )
    expect(page.get_by_test_id("test-provider-amount")).to_contain_text("144.00")
    page.get_by_role("button", name="Pay", exact=True).click()

    # Back on the status page: paid, going on.
    page.wait_for_url(f"**/orders/{reference}/")
    fits(page)
    expect(page.locator("main")).to_contain_text("is paid by card")
    expect(status_badge(page)).to_have_text("Awaiting domain validation")
    assert page.locator("[data-testid=how-to-pay]").count() == 0
    order = Order.objects.get(reference=reference)
    assert order.paid_at is not None
    assert Document.objects.get(source_reference=reference, kind=DocumentKind.INVOICE).status == (
        DocumentStatus.PAID
    )


# e. Reissue from the status page, with KeyBot ------------------------------------------------------


def test_reissue_from_the_status_page_with_keybot(
    open_as, live_server, account, product, viewport, journey_settings
):
    base = live_server.url
    tech = make_user(account, "tech", rights=[Right.TECHNICAL])
    order = make_order(account, product, common_name="www.acme.test", sans=["acme.test"], paid=True)
    first = deliver(order)
    page = open_as(tech, viewport)
    to_status_page(page, base, order.reference)
    expect(page.locator(".certificates .certificate")).to_have_count(1)

    page.locator("[data-action=reissue]").click()
    page.wait_for_url(f"**/operations/**/{order.reference}/**")
    fits(page)
    page.select_option("[name=reason]", "lost")
    page.locator("#keybot-panel summary").click()
    panel = page.locator("[data-keybot]")
    expect(panel.locator("[data-kb=cn]")).to_have_value("www.acme.test")
    generate_with_keybot(page, "P-256")
    expect(page.locator("[name=csr]")).to_have_value(re.compile(r"^-----BEGIN CERTIFICATE REQUEST-----"))
    fits(page)
    page.get_by_role("button", name="Reissue the certificate").click()

    page.wait_for_url(f"**/orders/{order.reference}/")
    fits(page)
    new = Certificate.objects.filter(order=order).exclude(pk=first.pk).get()
    expect(page.locator("main")).to_contain_text(f"The certificate is reissued (serial {new.serial}).")
    expect(page.locator(".certificates .certificate")).to_have_count(2)
    expect(page.locator(f"#certificate-{new.serial}")).to_contain_text("Valid")
    expect(page.locator(f"#certificate-{first.serial}")).to_contain_text("Valid")  # kept, as chosen
