"""ORD-1: the new order page: quick access (most ordered, tokens, tests), comparison tables by type with
an order button per period and price, signature solutions at the bottom, in constant queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.services.ledger import credit_tokens, debit_tokens
from catalog.models import Brand, ProductType
from tests.support.ordering import make_typed_product, server_product
from tests.support.orders import make_order

T = ProductType
pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


def page_of(client) -> str:
    response = client.get(reverse("operations:new"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, element_id: str) -> str:
    match = re.search(
        rf'id="{element_id}"(.*?)(?:</section>|</div>\s*(?:<div id="quick|</div>\s*</section>))', page, re.S
    )
    assert match, f"no section {element_id}"
    return match.group(1)


def test_every_type_is_grouped_with_its_comparison_and_prices(tech_client):
    Brand.objects.update_or_create(
        code="h12-thawte", defaults={"name": "Thawte", "delivery_time": "DV: minutes, OV: 1-3 days"}
    )
    server_product("dear-ov", brand_code="h12-thawte", prices={12: "300.00"}, reissuable=False)
    cheap = server_product("cheap-ov", prices={12: "90.00", 24: "170.00"})
    wildcard = make_typed_product("wild", T.WILDCARD, wildcard=True, publicly_trusted_tls=True)
    smime = make_typed_product("smime", T.CLIENT, validation="IV")
    make_typed_product("retired", T.SERVER_OV, active=False)
    page = page_of(tech_client)
    server = section(page, "type-server_ov")
    assert server.index("cheap-ov") < server.index("dear-ov")  # sorted by price within the type
    dear_row = re.search(r'data-product="dear-ov">(.*?)</tr>', server, re.S).group(1)
    assert 'class="reissuable">no' in dear_row and 'class="delivery">1-3 days<' in dear_row  # its own part
    assert '<td class="sans">1 / 10' in dear_row
    assert 'href="/operations/new/cheap-ov/?months=24">24 months · 170.00 €' in server
    assert 'class="wildcard">yes' in section(page, "type-wildcard") and wildcard.code in page
    assert f'href="/operations/new/{smime.code}/?months=12"' in section(page, "type-client")
    assert "retired" not in page and cheap.code in page


def test_signature_solutions_come_last_software_apart_from_platforms(tech_client):
    server_product()
    make_typed_product(
        "sign-software", T.SIGNATURE, name="Signature Software", validation="", requires_csr=False
    )
    make_typed_product("sign-cloud", T.SIGNATURE, name="Cloud Business", validation="", requires_csr=False)
    page = page_of(tech_client)
    assert page.index('id="type-server_ov"') < page.index('id="type-signature"')
    software, platforms = page.index('id="signature-software"'), page.index('id="signature-platforms"')
    assert (
        software
        < page.index('data-product="sign-software"')
        < platforms
        < page.index('data-product="sign-cloud"')
    )


def test_quick_access_lists_most_ordered_tokens_and_tests(tech_client, account, other_account):
    products = [server_product(f"p{i}") for i in range(7)]
    for index, product in enumerate(products[:6]):
        for _ in range(index + 1):  # p0 once ... p5 six times
            make_order(account, product)
    for _ in range(9):
        make_order(other_account, products[6], common_name="www.globex.test", sans=[])  # not ours
    credit_tokens(account, products[0], 4, reference="TOPUP-1")
    credit_tokens(account, products[1], 2, reference="TOPUP-2")
    debit_tokens(account, products[1], 2, reference="ORDER-1")  # used up: not shown
    test_product = make_typed_product("free-test", T.SERVER_DV, is_test=True, prices={1: "0.00"})
    page = page_of(tech_client)
    most = section(page, "quick-most-ordered")
    codes = re.findall(r'<li data-product="([^"]+)"', most)
    assert codes == ["p5", "p4", "p3", "p2", "p1"]
    assert "6 orders" in most and 'href="/operations/new/p5/?months=12"' in most
    tokens = section(page, "quick-tokens")
    assert re.findall(r'<li data-product="([^"]+)"', tokens) == ["p0"] and "4 tokens" in tokens
    tests = section(page, "quick-tests")
    assert 'data-product="free-test"' in tests and 'href="/operations/new/free-test/?months=1"' in tests
    # A test product is offered in the quick access only, not in the type tables.
    assert test_product.code not in section(page, "type-server_ov")


def test_no_quick_access_for_a_new_account(tech_client):
    server_product()
    assert 'id="quick-access"' not in page_of(tech_client)


def test_the_page_takes_a_constant_number_of_queries(tech_client, account):
    server_product("first")
    make_order(account, server_product("second"))
    tech_client.get(reverse("operations:new"))  # warm the session and the menu

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert tech_client.get(reverse("operations:new")).status_code == 200
        return len(queries)

    small = count()
    for i in range(12):
        product = make_typed_product(
            f"more-{i}", list(T)[i % len(T)], brand_code=f"brand-{i % 4}", requires_csr=i % 3 != 0
        )
        make_order(account, product)
        credit_tokens(account, product, 1, reference=f"T-{i}")
    make_typed_product("t-1", T.CLIENT, is_test=True)
    make_typed_product("t-2", T.SERVER_DV, is_test=True)
    count()  # the writes dropped the account's cached badges: counted again once
    assert count() == small


def test_only_technical_users_see_the_page(client, billing):
    assert client.get(reverse("operations:new")).status_code == 302
    client.force_login(billing)
    assert client.get(reverse("operations:new")).status_code == 403
