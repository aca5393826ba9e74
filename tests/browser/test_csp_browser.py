"""In Chromium, under the Content-Security-Policy (issue 13 point 7): the parts of a form that another
field shows or hides still follow it now that their script is a file, and the `csp_violations`
fixture (tests/conftest.py) catches what the policy blocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_keybot_browser import log_in
from tests.support.ordering import server_product
from tests.support.orders import contacts_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_is_refused_and_reported(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "document.body.dataset.ran = 'yes'";
                document.body.appendChild(script);
            }"""
        )
    expect(page.locator("body")).not_to_have_attribute("data-ran", "yes")
    assert any("inline script violates" in text for text in csp_violations), csp_violations
    csp_violations.clear()


def test_registration_hides_the_technical_contact_when_it_is_the_administrative_one(page, live_server):
    page.goto(f"{live_server.url}/register/")
    fields = page.locator("#tech-contact-fields")
    expect(fields).to_be_visible()
    page.check("[name=tech_same_as_admin]")
    expect(fields).to_be_hidden()


def test_order_form_parts_follow_their_fields(page, live_server, account, tech):
    holder, admin, _tech = contacts_of(account)
    product = server_product("ssl-ov")
    log_in(page, live_server.url, tech)
    page.goto(f"{live_server.url}/operations/new/{product.code}/?months=12")
    # "New ..." blocks show while no existing organisation or contact is chosen.
    page.select_option("[name=organisation]", "")
    expect(page.locator("#new-organisation")).to_be_visible()
    page.select_option("[name=organisation]", holder.public_id)
    expect(page.locator("#new-organisation")).to_be_hidden()
    page.select_option("[name=admin_contact]", admin.public_id)
    expect(page.locator("#new-admin")).to_be_hidden()
    page.check("[name=technical_same_as_admin]")
    expect(page.locator("#technical-choice")).to_be_hidden()
    page.uncheck("[name=technical_same_as_admin]")
    expect(page.locator("#technical-choice")).to_be_visible()
    # "Other" server software asks which one.
    page.select_option("[name=server_software]", "other")
    expect(page.locator("#software-other")).to_be_visible()
    page.select_option("[name=server_software]", "nginx")
    expect(page.locator("#software-other")).to_be_hidden()
    # The CSR mode picks the CSR box or the KeyBot panel (opened).
    page.check("input[name=csr_mode][value=keybot]")
    expect(page.locator("#keybot-panel")).to_be_visible()
    expect(page.locator("#keybot-panel")).to_have_attribute("open", "")
    page.check("input[name=csr_mode][value=manual]")
    expect(page.locator("#keybot-panel")).to_be_hidden()
    expect(page.locator("#csr-block")).to_be_visible()
    if page.locator("input[name=csr_mode][value=invitation]").count():
        page.check("input[name=csr_mode][value=invitation]")
        expect(page.locator("#csr-block")).to_be_hidden()
        expect(page.locator("#invitation-note")).to_be_visible()
