"""The foundation path, end to end, in headless Chromium (foundation issue, point 7).

Registration → staff validation in the admin → set-password email → login → new order →
server certificate form with a pasted CSR → review → confirmation → staff record the payment,
validate the domain and issue → status page → downloads, parsed back and chained to the brand's root.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.verification import PolicyBuilder, Store
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from stdnum import luhn
from stdnum.fr import siren as siren_module

from orders.models import Order, OrderStatus
from orders.services.dcv import validate_order_dcv_manually
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Passphrase-2026"


def new_siren(seed: str) -> str:
    number = seed + luhn.calc_check_digit(seed)
    assert siren_module.is_valid(number)
    return number


def download(page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).first.click()
    return open(info.value.path(), "rb").read()


@pytest.fixture
def path_settings(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.STAFF_REQUIRE_2FA = False
    return settings


def test_registration_to_certificate_download(live_server, browser, mailoutbox, path_settings):
    call_command("load_catalog", verbosity=0)
    backoffice = factories.make_staff("backoffice")
    siren = new_siren("45218790")
    customer = browser.new_context(locale="en-GB")
    page = customer.new_page()

    # 1. Public registration (ACC-1): the organisation number is typed with spaces.
    page.goto(f"{live_server.url}/register/")
    page.fill("[name=company_name]", "Browser Path Hosting")
    page.select_option("[name=country]", "FR")
    page.fill("[name=registration_number]", f"{siren[:3]} {siren[3:6]} {siren[6:]}")
    page.fill("[name=naf_code]", "6311Z")
    page.fill("[name=vat_number]", "FR" + siren_module.to_tva(siren))
    page.fill("[name=address]", "8 avenue des Tests")
    page.fill("[name=postal_code]", "69002")
    page.fill("[name=city]", "Lyon")
    page.fill("[name=phone]", "+33 4 72 00 00 00")
    page.fill("[name=admin_first_name]", "Claire")
    page.fill("[name=admin_last_name]", "Martin")
    page.fill("[name=admin_email]", "claire@browser-path.test")
    page.fill("[name=admin_phone]", "+33 4 72 00 00 01")
    page.check("[name=tech_same_as_admin]")
    page.check("[name=kind][value=provider]")
    page.select_option("[name=formula]", "rebate")
    page.fill("[name=username]", "claire")
    page.select_option("select[name=language]", "en")
    page.check("[name=accept_terms]")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/register/done/")

    # 2. Staff validate the request in the admin (STAFF-1, ACC-2).
    staff = browser.new_context(locale="en-GB").new_page()
    staff.goto(f"{live_server.url}/staff/")  # the back office sends staff through the portal's login
    staff.fill("[name=login]", "backoffice")
    staff.fill("[name=password]", factories.PASSWORD)
    staff.locator("form [type=submit]").last.click()
    staff.wait_for_url("**/staff/")
    staff.goto(f"{live_server.url}/staff/accounts/account/?q=Browser+Path")
    staff.get_by_role("link", name="Browser Path Hosting").click()
    staff.get_by_role("link", name="Validate").click()
    staff.get_by_role("button", name="Validate").click()
    staff.wait_for_url(re.compile(r".*/staff/accounts/account/\d+/change/$"))

    # 3. The super user's email carries the set-password link.
    email = next(m for m in mailoutbox if "claire@browser-path.test" in m.to)
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", email.body).group(0)
    page.goto(link)
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD)
    page.locator("form [type=submit]").last.click()

    # 4. Login (ACC-3) and connection bar (ACC-8).
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("[name=login]", "claire")
    page.fill("[name=password]", PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/home/")
    assert "Browser Path Hosting" in page.get_by_test_id("connection-bar").inner_text()

    # 5. New order page (ORD-1) → server certificate form (ORD-2) with a pasted CSR (ORD-6).
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="New order").click()
    page.locator("a[href*='/operations/new/tbs-x509-ssl-ov/?months=12']").click()
    page.select_option("[name=server_software]", "nginx")
    page.fill("[name=common_name]", "www.browser-path.test")
    page.fill("[name=csr]", factories.make_csr("www.browser-path.test", key=factories.make_key("p256")))
    page.get_by_role("button", name="Review the order").click()

    # 6. Review, then confirmation (ORD-3).
    page.wait_for_url("**/operations/review/**")
    assert "www.browser-path.test" in page.content()
    page.get_by_role("button", name="Confirm the order").click()
    page.wait_for_url("**/operations/confirmation/**")
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert reference in page.content()
    assert any(reference in m.body for m in mailoutbox if "claire@browser-path.test" in m.to)

    # 7. Staff record the payment, validate the domain (ORD-8) and issue the certificate (STAFF-2).
    staff.goto(f"{live_server.url}/staff/orders/order/?q={reference}")
    staff.get_by_role("link", name=reference).click()
    staff.get_by_role("link", name="Record a payment").click()
    staff.fill("[name=reference]", "VIR-PATH-1")
    staff.get_by_role("button", name="Continue").click()
    expect(staff.locator(".receipt-settles")).to_contain_text(reference)
    staff.get_by_role("button", name="Record this payment").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("is paid")
    with scopes_disabled():  # the test stands for the validation team, outside any account's scope
        order = Order.objects.get(reference=reference)
        assert order.status == OrderStatus.AWAITING_DCV
        validate_order_dcv_manually(order, by=backoffice, note="TXT record seen")
    staff.reload()
    staff.get_by_role("button", name="Issue the certificate").click()
    expect(staff.locator("ul.messagelist")).to_contain_text(reference)
    expect(staff.get_by_role("button", name="Issue the certificate")).to_have_count(0)

    # 8. Status page (LIFE-2) and downloads (LIFE-3).
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/orders/{reference}/")
    assert "Delivered and paid" in page.content()

    leaf = x509.load_pem_x509_certificate(download(page, "Certificate (PEM, .cer)"))
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "www.browser-path.test"
    chain = pkcs7.load_der_pkcs7_certificates(download(page, "PKCS#7 with the full chain (.p7b)"))
    assert len(chain) == 3
    fullchain = x509.load_pem_x509_certificates(download(page, "Full chain (PEM)"))
    root = x509.load_pem_x509_certificate(download(page, "Root certificate (PEM)"))
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(leaf.not_valid_before_utc)
        .build_server_verifier(x509.DNSName("www.browser-path.test"))
    )
    verified = verifier.verify(leaf, fullchain[1:2])
    assert verified[-1] == root
    with zipfile.ZipFile(BytesIO(download(page, "All formats (.zip)"))) as bundle:
        assert len(bundle.namelist()) >= 4
