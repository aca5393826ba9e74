"""Issue 17: the order list sorts by product and by brand over the names stored on the order
(`Order.product_name`, `brand_name`, indexes `order_sort_product` and `order_sort_brand`). The
names are filled wherever an order gets its product (save, bulk_create, the ordering flow, the
migration) and follow a rename of the product or the brand; the list shows the same rows, in the
same order, as when it sorted through the catalogue."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import Brand, Product
from orders.models import Order, OrderStatus
from tests.factories import make_product
from tests.support.ordering import confirm, post_form, token_of
from tests.support.orders import contacts_of, form_data, make_order

pytestmark = pytest.mark.django_db

S = OrderStatus
COUNT = 60  # three pages of 25: page 3 is read from the end in the reversed order


@pytest.fixture
def catalogue(db):
    """Three products of two brands whose names sort differently by product and by brand."""
    return [
        make_product("zeta-ov", name="Zeta OV", brand_code="alpha"),  # brand ALPHA
        make_product("beta-dv", name="Beta DV", brand_code="omega"),  # brand OMEGA
        make_product("mid-ev", name="Mid EV", brand_code="alpha"),
    ]


def bulk(account, products, count: int = COUNT) -> list[Order]:
    holder, admin, tech = contacts_of(account)
    now = timezone.now()
    return Order.objects.bulk_create(
        Order(
            account=account,
            product=products[i % len(products)],
            period_months=12,
            price_excl_vat=Decimal("120.00"),
            status=S.AWAITING_PAYMENT,
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name=f"host{i:03d}.acme.test",
            created_at=now - timedelta(hours=i),
        )
        for i in range(count)
    )


def shown(client, query: str) -> list[tuple[str, str, str]]:
    """(reference, product, brand) of each row of a page, as the table renders them."""
    response = client.get(f"/orders/?{query}")
    assert response.status_code == 200
    rows = response.context["table"].page.object_list
    return [(row.record.reference, row.get_cell("product"), row.get_cell("brand")) for row in rows]


def expected(account, key: str, descending: bool) -> list[tuple[str, str, str]]:
    """The account's orders sorted as the list must sort them, read through the catalogue (not the
    stored names): the name, then the id in the name's direction."""
    with scopes_disabled():
        orders = list(Order.objects.filter(account=account).select_related("product__brand"))
    name = (lambda o: o.product.name) if key == "product" else (lambda o: o.product.brand.name)
    orders.sort(key=lambda o: (name(o), o.pk), reverse=descending)
    return [(o.reference, o.product.name, o.product.brand.name) for o in orders]


@pytest.mark.parametrize("sort", ["product", "-product", "brand", "-brand"])
def test_sorted_by_product_or_brand_every_page_right(client, tech, account, other_account, catalogue, sort):
    bulk(account, catalogue)
    bulk(other_account, catalogue, 10)
    client.force_login(tech)
    pages = [shown(client, f"sort={sort}&page={page}") for page in (1, 2, 3)]
    assert [len(page) for page in pages] == [25, 25, 10]
    want = expected(account, sort.lstrip("-"), sort.startswith("-"))
    assert pages[0] == want[:25]  # first page
    assert pages[2] == want[50:]  # last page, read from the end
    assert [row for page in pages for row in page] == want


def test_the_sort_reads_the_stored_names(client, tech, account, catalogue):
    bulk(account, catalogue, 6)
    client.force_login(tech)
    for sort, column in (("product", "product_name"), ("-brand", "brand_name")):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/orders/?sort={sort}").status_code == 200
        ids = next(
            q["sql"]
            for q in ctx.captured_queries
            # The page's ids with their sort keys (the cursor of its links, accounts.lists).
            if q["sql"].startswith(
                f'SELECT "orders_order"."{column}" AS "{column}", "orders_order"."id" AS "pk"'
            )
            and "ORDER BY" in q["sql"]
        )
        assert "ORDER BY 1" in ids  # the stored name, selected first
        assert "catalog_product" not in ids


def test_sorted_pages_cost_the_same_queries_as_the_default_sort(client, tech, account, catalogue):
    bulk(account, catalogue)
    client.force_login(tech)

    def count(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    default = count("/orders/")
    for sort in ("product", "-product", "brand", "-brand"):
        assert count(f"/orders/?sort={sort}") == default
        assert count(f"/orders/?sort={sort}&page=3") == default


def test_export_sorted_by_brand(client, tech, account, catalogue):
    bulk(account, catalogue, 9)
    client.force_login(tech)
    response = client.get("/orders/export.csv?sort=-brand")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    product, brand = header.index("Product"), header.index("Brand")
    rows = [line.split(",") for line in lines[1:]]
    want = expected(account, "brand", descending=True)
    assert [(row[0], row[product], row[brand]) for row in rows] == want


def test_names_are_filled_on_creation(account, catalogue):
    zeta, beta, _mid = catalogue
    order = make_order(account, zeta)  # Order.objects.create
    assert (order.product_name, order.brand_name) == ("Zeta OV", "ALPHA")
    with scopes_disabled():
        assert Order.objects.filter(pk=order.pk).values_list("product_name", "brand_name").get() == (
            "Zeta OV",
            "ALPHA",
        )
        # bulk_create calls no save(): the manager fills them, in one query for products read alone.
        bare = Product.objects.get(pk=beta.pk)  # its brand not loaded
        loaded = Product.objects.select_related("brand").get(pk=zeta.pk)
        with CaptureQueriesContext(connection) as ctx:
            made = bulk(account, [bare, loaded], 4)
        assert sum("catalog_product" in q["sql"] for q in ctx.captured_queries) == 1
        assert [(o.product_name, o.brand_name) for o in made] == [
            ("Beta DV", "OMEGA"),
            ("Zeta OV", "ALPHA"),
        ] * 2
        stored = Order.objects.filter(pk__in=[o.pk for o in made]).order_by("pk")
        assert [(o.product_name, o.brand_name) for o in stored] == [
            ("Beta DV", "OMEGA"),
            ("Zeta OV", "ALPHA"),
        ] * 2


def test_names_follow_a_change_of_product(account, catalogue):
    zeta, beta, mid = catalogue
    order = make_order(account, zeta)
    with scopes_disabled():
        loaded = Order.objects.get(pk=order.pk)
        loaded.product = beta
        loaded.save()
        assert Order.objects.values_list("product_name", "brand_name").get(pk=order.pk) == (
            "Beta DV",
            "OMEGA",
        )
        loaded.product_id = mid.pk
        loaded.save(update_fields=["product"])
        assert Order.objects.values_list("product_name", "brand_name").get(pk=order.pk) == ("Mid EV", "ALPHA")
        # Another field saved alone: no catalogue query, the names stay.
        loaded = Order.objects.get(pk=order.pk)
        loaded.customer_reference = "PO-9"
        with CaptureQueriesContext(connection) as ctx:
            loaded.save()
        assert not any("catalog_" in q["sql"] for q in ctx.captured_queries)
        assert Order.objects.values_list("product_name", "brand_name").get(pk=order.pk) == ("Mid EV", "ALPHA")


def test_the_ordering_flow_fills_the_names(client, tech, account, settings):
    settings.SITE_URL = "https://portal.example.test"
    product = make_product("flow-ov", name="Flow OV", brand_code="sectigo")
    client.force_login(tech)
    token = token_of(post_form(client, product, form_data(account, csr="", assistance="on")))
    order = confirm(client, token)
    assert (order.product_name, order.brand_name) == ("Flow OV", "SECTIGO")


def test_a_rename_of_product_or_brand_renames_the_orders(client, tech, account, other_account, catalogue):
    zeta, beta, mid = catalogue
    bulk(account, catalogue, 6)
    bulk(other_account, catalogue, 3)
    stale = make_order(account, zeta)
    with scopes_disabled():
        stale = Order.objects.get(pk=stale.pk)  # loaded before the renames

    zeta.name = "Aardvark OV"
    with CaptureQueriesContext(connection) as ctx:
        zeta.save()
    assert sum(q["sql"].startswith('UPDATE "orders_order"') for q in ctx.captured_queries) == 1
    brand = Brand.objects.get(code="omega")
    brand.name = "ANTELOPE"
    brand.save()
    mid.brand = brand  # moved to another brand
    mid.save()

    with scopes_disabled():
        names = {
            (o.product_id, o.product_name, o.brand_name)
            for o in Order.objects.filter(account__in=[account, other_account])
        }
    assert names == {
        (zeta.pk, "Aardvark OV", "ALPHA"),
        (beta.pk, "Beta DV", "ANTELOPE"),
        (mid.pk, "Mid EV", "ANTELOPE"),
    }

    # An order loaded before the rename and saved after it keeps the new names.
    stale.customer_reference = "PO-1"
    stale.save()
    with scopes_disabled():
        assert Order.objects.values_list("product_name", "brand_name").get(pk=stale.pk) == (
            "Aardvark OV",
            "ALPHA",
        )

    client.force_login(tech)
    first = shown(client, "sort=product")
    assert first[0][1] == "Aardvark OV" and first == expected(account, "product", False)[:25]
    assert shown(client, "sort=brand") == expected(account, "brand", False)[:25]


def test_a_save_that_renames_nothing_writes_no_order(catalogue):
    zeta = catalogue[0]
    zeta.description = "Changed"
    with CaptureQueriesContext(connection) as ctx:
        zeta.save(update_fields=["description"])
        Brand.objects.get(code="alpha").save(update_fields=["position"])
    assert not any("orders_order" in q["sql"] for q in ctx.captured_queries)


def test_the_migration_fills_existing_orders(account, catalogue):
    bulk(account, catalogue, 6)
    with scopes_disabled():
        Order.objects.update(product_name="", brand_name="")
        migration = importlib.import_module("orders.migrations.0018_catalog_names")
        with CaptureQueriesContext(connection) as ctx:
            migration.fill_catalog_names(apps, None)
        assert len(ctx.captured_queries) == 1
        rows = Order.objects.select_related("product__brand")
        assert all((o.product_name, o.brand_name) == (o.product.name, o.product.brand.name) for o in rows)
        assert all(o.product_name for o in rows)
