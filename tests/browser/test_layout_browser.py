"""The portal fits a phone and a laptop (issue 8 point 12): at 390 px the menu collapses behind a
"Menu" button and no page scrolls sideways; at 1366 px no page overflows (logs, French order list).
Measured in headless Chromium: document.documentElement.scrollWidth <= window.innerWidth."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.audit import log_action
from tests.support.delivered import deliver
from tests.support.orders import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
LONG = "a-long-subdomain-name-for-the-layout-test.shop.acme.test"


@pytest.fixture
def pages(account, owner, product) -> list[str]:
    order = make_order(
        account,
        product,
        common_name=LONG,
        sans=[f"n{i}.{LONG}" for i in range(6)],
        paid=True,
        status="under_verification",
        customer_reference="PO-2026-000123456789",
    )
    deliver(order)
    for i in range(8):
        make_order(account, product, common_name=f"www{i}.{LONG}")
    log_action(
        "order.edited_by_staff",
        obj=order,
        user=owner,
        common_name=LONG,
        sans=[f"n{i}.{LONG}" for i in range(6)],
        note="x" * 300,
    )
    return [
        reverse("home"),
        reverse("orders:list"),
        reverse("orders:detail", args=[order.reference]),
        reverse("operations:new"),
        reverse("administration:logs"),
    ]


def open_context(browser, live_server, user, viewport: dict, language: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="fr-FR" if language == "fr" else "en-GB")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    return context


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_collapses(
    browser, live_server, owner, pages, language
):
    context = open_context(browser, live_server, owner, PHONE, language)
    page = context.new_page()
    for path in pages:
        page.goto(live_server.url + path)
        assert overflow(page) <= 0, (path, overflow(page))
    menu, toggle = page.locator("#main-menu"), page.locator("[data-menu-toggle]")
    assert not menu.is_visible() and toggle.is_visible()
    toggle.click()
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_overflows_on_a_laptop(browser, live_server, owner, pages, language):
    context = open_context(browser, live_server, owner, LAPTOP, language)
    page = context.new_page()
    for path in pages:
        page.goto(live_server.url + path)
        assert overflow(page) <= 0, (path, overflow(page))
    assert page.locator("#main-menu").is_visible() and not page.locator("[data-menu-toggle]").is_visible()
    context.close()
