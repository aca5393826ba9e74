"""ORD-12 clone and migrate: the lists, the prefilled order links, the migration mapping rule, rights."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Right
from catalog.models import Product
from orders.models import Order, OrderOrigin, OrderStatus
from orders.services.migration import (
    clonable_orders,
    is_clonable,
    is_migrable,
    migrable_orders,
    migration_choices,
    migration_target,
    migration_targets,
)
from tests.factories import make_product, make_user
from tests.support.lifecycle import use_lifecycle_urls
from tests.support.orders import make_order as _make_order

S = OrderStatus


def make_order(*args, **kwargs):
    """Orders here are delivered and paid unless said: only those can be migrated (issue 8 point 16)."""
    kwargs.setdefault("status", S.DELIVERED_PAID)
    return _make_order(*args, **kwargs)


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def ours(db):
    """Our brand's catalogue: DV, OV, EV single-site, OV multi-domain, DV wildcard, OV code signing."""
    return {
        "dv": make_product("tbs-dv", product_type="server_dv", validation="DV", position=1),
        "ov": make_product("tbs-ov", product_type="server_ov", validation="OV", position=2),
        "ev": make_product("tbs-ev", product_type="server_ev", validation="EV", position=3),
        "multi": make_product("tbs-multi-ov", product_type="multi_domain", validation="OV", position=4),
        "wild": make_product("tbs-wild-dv", product_type="wildcard", validation="DV", position=5),
        "code": make_product(
            "tbs-code-ov",
            product_type="code_signing",
            validation="OV",
            position=6,
            publicly_trusted_tls=False,
        ),
        "test": make_product("tbs-test", product_type="server_dv", validation="DV", is_test=True, position=0),
    }


def theirs(code: str, product_type: str, validation: str, brand: str = "sectigo") -> Product:
    return make_product(code, brand_code=brand, product_type=product_type, validation=validation)


# ---------------------------------------------------------------- the mapping rule


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("product_type", "validation", "expected"),
    [
        ("server_dv", "DV", "dv"),  # same type, same validation
        ("server_ov", "OV", "ov"),
        ("server_ev", "EV", "ev"),
        ("wildcard", "DV", "wild"),
        ("wildcard", "OV", "wild"),  # same type; only a weaker one is sold
        ("multi_domain", "EV", "multi"),  # same type, nearest validation
        ("multi_domain", "DV", "multi"),  # same type, stronger validation
        ("code_signing", "EV", "code"),
        ("psd2", "EV", None),  # we sell nothing comparable
    ],
)
def test_migration_target(ours, product_type, validation, expected):
    source = theirs("src", product_type, validation)
    target = migration_target(source)
    assert (target == ours[expected]) if expected else target is None


@pytest.mark.django_db
def test_server_family_fallback_prefers_the_same_validation_then_stronger(db):
    ev = make_product("tbs-only-ev", product_type="server_ev", validation="EV")
    ov = make_product("tbs-only-ov", product_type="server_ov", validation="OV")
    # No multi-domain product of ours: any of our server certificates, same validation first.
    assert migration_target(theirs("m-ov", "multi_domain", "OV")) == ov
    assert migration_target(theirs("m-dv", "multi_domain", "DV")) == ov  # nearest stronger, not EV
    assert set(migration_choices(theirs("m-ev", "multi_domain", "EV"))) == {ev, ov}
    code = make_product("tbs-code", product_type="code_signing", validation="OV", publicly_trusted_tls=False)
    assert migration_choices(theirs("c-ev", "code_signing", "EV")) == [code]


@pytest.mark.django_db
def test_inactive_and_test_products_are_never_proposed(ours):
    ours["ov"].active = False
    ours["ov"].save()
    source = theirs("src-ov", "server_ov", "OV")
    assert migration_target(source) == ours["multi"]  # no single-site OV: same validation in the family
    assert ours["test"] not in migration_choices(theirs("src-dv", "server_dv", "DV"))


@pytest.mark.django_db
def test_targets_of_many_orders_take_one_query(ours, account):
    orders = [make_order(account, theirs(f"s{i}", "server_ov", "OV")) for i in range(5)]
    with CaptureQueriesContext(connection) as ctx:
        targets = migration_targets(orders)
    assert len(ctx.captured_queries) == 1 and set(targets.values()) == {ours["ov"]}


# ---------------------------------------------------------------- clone


@pytest.mark.django_db
def test_clone_list_offers_past_orders_of_products_still_sold(client, tech, account, other_account, product):
    delivered = make_order(account, product, status=S.DELIVERED_PAID, common_name="shop.acme.test")
    cancelled = make_order(account, product, status=S.CANCELLED, common_name="old.acme.test")
    retired = make_order(account, make_product("retired", active=False), common_name="retired.acme.test")
    imported = make_order(
        account, product, status=S.DELIVERED_PAID, origin=OrderOrigin.IMPORT, common_name="imported.acme.test"
    )
    foreign = make_order(other_account, product, common_name="www.globex.test")
    assert set(clonable_orders(account)) == {delivered, cancelled}
    client.force_login(tech)
    page = client.get(reverse("lifecycle:clone")).content.decode()
    link = f"{reverse('operations:order', args=[product.code])}?from={delivered.reference}&amp;origin=clone"
    assert link in page and cancelled.reference in page
    for other in (retired, imported, foreign):
        assert other.reference not in page


@pytest.mark.django_db
def test_following_the_clone_link_answers(client, tech, account, product):
    order = make_order(account, product, status=S.DELIVERED_PAID, common_name="clone-me.acme.test")
    client.force_login(tech)
    link = f"{reverse('operations:order', args=[product.code])}?from={order.reference}&origin=clone"
    response = client.get(link)
    assert response.status_code == 200 and "clone-me.acme.test" in response.content.decode()  # prefilled


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["lifecycle:clone", "lifecycle:migrate"])
def test_list_queries_do_not_grow(client, tech, account, ours, name):
    client.force_login(tech)
    sectigo = theirs("sectigo-ov", "server_ov", "OV")
    make_order(account, sectigo, common_name="h0.acme.test")
    url = reverse(name)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(1, 8):
        product = theirs(f"p{i}", "server_dv", "DV", brand="globalsign") if i % 2 else sectigo
        make_order(account, product, common_name=f"h{i}.acme.test")
    client.get(url)  # the writes dropped the account's cached badges: counted again once
    with CaptureQueriesContext(connection) as big:
        page = client.get(url).content.decode()
    assert page.count('id="order-') == 8
    assert len(big.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------- migrate


@pytest.mark.django_db
def test_migrate_list_offers_other_brands_and_imports(client, tech, account, ours):
    sectigo = make_order(account, theirs("sectigo-ev", "server_ev", "EV"), common_name="secure.acme.test")
    mine = make_order(account, ours["ov"], common_name="mine.acme.test")
    imported = make_order(
        account,
        ours["dv"],
        status=S.DELIVERED_PAID,
        origin=OrderOrigin.IMPORT,
        common_name="imported.acme.test",
    )
    assert set(migrable_orders(account)) == {sectigo, imported}
    client.force_login(tech)
    page = client.get(reverse("lifecycle:migrate")).content.decode()
    assert (
        f"{reverse('operations:order', args=['tbs-ev'])}?from={sectigo.reference}&amp;origin=migration"
        in page
    )
    assert (
        f"{reverse('operations:order', args=['tbs-dv'])}?from={imported.reference}&amp;origin=migration"
        in page
    )
    assert mine.reference not in page and "Imported" in page
    response = client.get(
        f"{reverse('operations:order', args=['tbs-ev'])}?from={sectigo.reference}&origin=migration"
    )
    assert response.status_code == 200 and "secure.acme.test" in response.content.decode()


@pytest.mark.django_db
def test_migrate_to_another_product_of_ours(client, tech, account, ours):
    order = make_order(account, theirs("sectigo-ov", "server_ov", "OV"))
    client.force_login(tech)
    url = reverse("lifecycle:migrate_order", args=[order.reference])
    page = client.get(url).content.decode()
    assert (
        'value="tbs-ov" selected' in page and 'value="tbs-ev"' in page and 'value="tbs-code-ov"' not in page
    )
    response = client.get(url, {"product": "tbs-ev"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("operations:order", args=["tbs-ev"])
    assert query(response["Location"]) == {"from": order.reference, "origin": "migration"}
    page = client.get(url, {"product": "tbs-code-ov"}).content.decode()  # not of the same family
    assert "Select a valid choice" in page


@pytest.mark.django_db
def test_migrate_refuses_our_own_and_other_accounts_orders(client, tech, account, other_account, ours):
    mine = make_order(account, ours["ov"])
    foreign = make_order(
        other_account, theirs("sectigo-ov", "server_ov", "OV"), common_name="www.globex.test"
    )
    client.force_login(tech)
    assert client.get(reverse("lifecycle:migrate_order", args=[mine.reference])).status_code == 404
    assert client.get(reverse("lifecycle:migrate_order", args=[foreign.reference])).status_code == 404


@pytest.mark.django_db
def test_nothing_comparable_sends_to_the_new_order_page(client, tech, account, ours):
    order = make_order(account, theirs("qwac", "psd2", "EV"))
    client.force_login(tech)
    page = client.get(reverse("lifecycle:migrate")).content.decode()
    assert "No equivalent product" in page and "origin=migration" not in page
    page = client.get(reverse("lifecycle:migrate_order", args=[order.reference])).content.decode()
    assert reverse("operations:new") in page


# ---------------------------------------------------------------- rights


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["lifecycle:clone", "lifecycle:migrate"])
def test_commercial_only_user_is_refused(client, account, name):
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
def test_commercial_only_user_cannot_choose_a_migration(client, account, ours):
    order = make_order(account, theirs("sectigo-ov", "server_ov", "OV"))
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(reverse("lifecycle:migrate_order", args=[order.reference])).status_code == 403


@pytest.mark.django_db
def test_status_page_predicates_agree_with_the_lists(account, ours):
    """The status page tells clone and migrate from the loaded order (issue 17, load): the same
    verdict as the lists' queries, for every status, origin, brand and retired product or brand."""
    sectigo = theirs("sectigo-ov", "server_ov", "OV")
    retired = theirs("retired-ov", "server_ov", "OV")
    retired.active = False
    retired.save()
    closed_brand = theirs("gs-dv", "server_dv", "DV", brand="globalsign")
    closed_brand.brand.active = False
    closed_brand.brand.save()
    combinations = [
        (product, status, origin)
        for product in (ours["ov"], sectigo, retired, closed_brand)
        for status in S.values
        for origin in (OrderOrigin.ORDERED, OrderOrigin.IMPORT, OrderOrigin.RENEWAL)
    ]
    for i, (product, status, origin) in enumerate(combinations):
        make_order(account, product, status=status, origin=origin, common_name=f"o{i}.acme.test")
    orders = list(Order.objects.filter(account=account).select_related("product__brand"))
    clonable, migrable = set(clonable_orders(account)), set(migrable_orders(account))
    assert clonable and migrable
    for order in orders:
        assert is_clonable(order) == (order in clonable), order
        assert is_migrable(order) == (order in migrable), order
