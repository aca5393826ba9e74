"""The reference catalogue, its services and its admin (STAFF-3, PRICE-1, ORD-1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Brand, Product, ProductPeriod, ProductType
from catalog.seed import BRANDS, PRODUCTS, load_catalog
from catalog.services import PriceNotFound, products_by_type, products_for_testing, public_price
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    load_catalog()


def _snapshot():
    return (
        list(Brand.objects.order_by("code").values()),
        list(Product.objects.order_by("code").values()),
        list(ProductPeriod.objects.order_by("product__code", "months").values()),
    )


def test_load_catalog_creates_eleven_brands_and_at_least_45_products(catalogue):
    assert Brand.objects.count() == 11
    assert set(Brand.objects.values_list("name", flat=True)) == {
        "TBS X509",
        "DigiCert",
        "Thawte",
        "Sectigo",
        "GlobalSign",
        "Certigna",
        "GeoTrust",
        "Harica",
        "ChamberSign",
        "SigniFlow",
        "PositiveSSL",
    }
    assert Product.objects.count() >= 45
    assert Brand.objects.filter(products__isnull=True).count() == 0
    assert not Brand.objects.filter(delivery_time="").exists()


def test_every_active_product_has_a_priced_period(catalogue):
    for product in Product.objects.filter(active=True).prefetch_related("periods"):
        periods = list(product.periods.all())
        assert periods, product.code
        assert all(p.price >= 0 for p in periods)
        if not product.is_test:
            assert all(p.price > 0 for p in periods), product.code


def test_catalogue_covers_the_product_families(catalogue):
    types = set(Product.objects.values_list("product_type", flat=True))
    assert types == set(ProductType.values)
    test = Product.objects.get(code="tbs-x509-test")
    assert test.is_test and list(test.periods.values_list("months", "price")) == [(1, Decimal("0.00"))]
    assert Product.objects.filter(wildcard=True, wildcard_san_price__gt=0, max_sans__gt=1).exists()
    assert Product.objects.filter(product_type=ProductType.SIGNATURE, requires_csr=False).count() >= 2
    assert Product.objects.filter(brand__code="positivessl", validation="DV").count() >= 3
    assert Product.objects.filter(reissuable=False).exists()
    discontinued = Product.objects.get(code="tbs-x509-ssl-pro")
    assert not discontinued.active
    assert discontinued.replacement.code == "tbs-x509-ssl-ov" and discontinued.replacement.active
    # Only TLS server products and the QWAC are publicly trusted TLS certificates.
    for product in Product.objects.filter(is_test=False):
        expected = product.is_server or product.code.endswith("qwac")
        assert product.publicly_trusted_tls == expected, product.code
    client = Product.objects.filter(product_type=ProductType.CLIENT, is_test=False)
    assert set(client.values_list("validation", flat=True)) <= {"IV", "OV"}


def test_load_catalog_twice_changes_nothing(catalogue):
    before = _snapshot()
    result = load_catalog()
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(BRANDS) + len(PRODUCTS) + sum(len(i.prices) for i in PRODUCTS)
    assert _snapshot() == before


def test_load_catalog_restores_an_edited_price_and_keeps_staff_products(catalogue):
    period = ProductPeriod.objects.get(product__code="sectigo-dv", months=12)
    period.price = Decimal("1.00")
    period.save()
    extra = factories.make_product("staff-own-product", brand_code="sectigo")
    result = load_catalog()
    assert (result.created, result.updated) == (0, 1)
    period.refresh_from_db()
    assert period.price == Decimal("49.00")
    assert Product.objects.filter(pk=extra.pk).exists()


def test_load_catalog_command_reports_counts(catalogue, capsys):
    call_command("load_catalog")
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_public_price(catalogue):
    product = Product.objects.get(code="tbs-x509-ssl-ov")
    assert public_price(product, 12) == Decimal("119.00")
    assert public_price(product, 36) == Decimal("309.00")


def test_public_price_refuses_a_period_not_on_sale(catalogue):
    product = Product.objects.get(code="tbs-x509-ssl-dv")
    with pytest.raises(PriceNotFound) as error:
        public_price(product, 36)
    assert "tbs-x509-ssl-dv" in str(error.value) and error.value.months == 36


def test_public_price_uses_prefetched_periods(catalogue, django_assert_num_queries):
    groups = products_by_type()
    product = next(p for p in groups[ProductType.SERVER_EV] if p.code == "sectigo-ev")
    with django_assert_num_queries(0):
        assert public_price(product, 24) == Decimal("409.00")
        with pytest.raises(PriceNotFound):
            public_price(product, 36)


def test_products_by_type_groups_in_type_order_with_two_queries(catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        groups = products_by_type()
        for products in groups.values():
            for product in products:
                product.brand.name  # noqa: B018 (joined, no query)
                list(product.periods.all())
    assert list(groups) == [t for t in ProductType if t in groups]
    assert list(groups)[0] == ProductType.SERVER_DV
    codes = {p.code for products in groups.values() for p in products}
    assert "tbs-x509-ssl-pro" not in codes  # discontinued
    assert "tbs-x509-test" in codes
    ov = groups[ProductType.SERVER_OV]
    assert [p.brand.position for p in ov] == sorted(p.brand.position for p in ov)
    months = [p.months for p in ov[0].periods.all()]
    assert months == sorted(months)


def test_products_by_type_options(catalogue):
    everything = products_by_type(active_only=False)
    assert "tbs-x509-ssl-pro" in {p.code for p in everything[ProductType.SERVER_OV]}
    without_test = products_by_type(include_test=False)
    assert not any(p.is_test for products in without_test.values() for p in products)
    assert {p.code for p in products_for_testing()} == {"tbs-x509-test", "tbs-x509-test-client"}
    Brand.objects.filter(code="harica").update(active=False)
    assert not any(p.brand.code == "harica" for products in products_by_type().values() for p in products)


def _changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", ["brand", "product"])
def test_admin_changelist_has_constant_queries(client, staff, catalogue, model):
    client.force_login(staff)
    url = reverse(f"admin:catalog_{model}_changelist")
    first = _changelist_queries(client, url)
    for n in range(15):
        factories.make_product(f"extra-{n}", brand_code=f"extra-brand-{n}")
    assert _changelist_queries(client, url) == first


def test_admin_brand_list_counts_products(client, staff, catalogue):
    client.force_login(staff)
    response = client.get(reverse("admin:catalog_brand_changelist"))
    brand = response.context["cl"].result_list.get(code="signiflow")
    assert brand._product_count == 2


def test_admin_product_change_page_shows_periods_inline(client, staff, catalogue):
    client.force_login(staff)
    product = Product.objects.get(code="tbs-x509-ssl-ov")
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert response.status_code == 200
    assert b'name="periods-0-price"' in response.content
    assert b'value="309.00"' in response.content


def test_admin_staff_edits_a_period_price(client, staff, catalogue):
    client.force_login(staff)
    product = Product.objects.get(code="harica-dv")
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    form = response.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"brand": product.brand_id, "replacement": ""})
    periods = list(product.periods.all())
    data.update(
        {
            "periods-TOTAL_FORMS": len(periods),
            "periods-INITIAL_FORMS": len(periods),
            "periods-MIN_NUM_FORMS": 0,
            "periods-MAX_NUM_FORMS": 1000,
        }
    )
    for i, period in enumerate(periods):
        data.update(
            {
                f"periods-{i}-id": period.pk,
                f"periods-{i}-product": product.pk,
                f"periods-{i}-months": period.months,
                f"periods-{i}-price": str(period.price),
            }
        )
    data["periods-0-price"] = "31.00"
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert public_price(product, 12) == Decimal("31.00")


def test_admin_refuses_non_staff(client, owner, catalogue):
    client.force_login(owner)
    response = client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]
