"""PRICE-1: prices after the discount grid, the pricing page with its PDF and CSV, the default grid
and its back office."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from pypdf import PdfReader

from accounts.models import Account, AuditEvent
from billing.models import DiscountGrid
from billing.seed import default_rows, load_default_grid
from billing.services.pricing import PricingError, Tier, best_discount, price_for, tiers
from catalog.models import Brand
from catalog.services import PriceNotFound
from portal.urls import urlpatterns as portal_urlpatterns
from tests import factories

# The lead mounts billing.pricing_urls at /pricing/ in portal/urls.py; until then these tests do.
urlpatterns = list(portal_urlpatterns)
if not any(getattr(p, "namespace", None) == "pricing" for p in portal_urlpatterns):
    urlpatterns.append(path("pricing/", include("billing.pricing_urls")))

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pricing")]

D = Decimal
F = Account.Formula
URL = "/pricing/"


def grid(formula, low, high, discount, brand=None) -> DiscountGrid:
    return DiscountGrid.objects.create(
        formula=formula, brand=brand, min_quantity=low, max_quantity=high, discount=D(discount)
    )


@pytest.fixture
def tiers_bulk(product):
    return [grid(F.BULK, 1, 5, "10"), grid(F.BULK, 6, 10, "15"), grid(F.BULK, 11, None, "20")]


@pytest.fixture
def other_brand_product(db):
    return factories.make_product(
        "premium-ev",
        price=D("500.00"),
        brand_code="digicert",
        name="Premium EV",
        validation="EV",
        description="Extended validation, green trust.",
    )


# price_for ----------------------------------------------------------------------------------------


class TestPriceFor:
    @pytest.mark.parametrize(
        ("quantity", "expected"),
        [
            (1, D("108.00")),
            (5, D("108.00")),
            (6, D("102.00")),
            (10, D("102.00")),
            (11, D("96.00")),
            (500, D("96.00")),
        ],
    )
    def test_tier_edges(self, product, tiers_bulk, quantity, expected):
        assert price_for(product, 12, formula=F.BULK, quantity=quantity) == expected

    def test_other_period_and_formula(self, product, tiers_bulk):
        assert price_for(product, 24, formula=F.BULK, quantity=6) == D("187.00")  # 220 less 15 %
        assert price_for(product, 12, formula=F.CURRENT, quantity=6) == D("120.00")  # no row: public price

    def test_brand_rows_replace_the_all_brands_rows(self, product, other_brand_product, tiers_bulk):
        digicert = other_brand_product.brand
        grid(F.BULK, 1, 10, "5", brand=digicert)  # smaller than the general 10 %/15 %: still wins
        assert price_for(other_brand_product, 12, formula=F.BULK, quantity=3) == D("475.00")
        assert price_for(other_brand_product, 12, formula=F.BULK, quantity=8) == D("475.00")
        # Beyond the brand's own tiers, the all-brands rows apply again.
        assert price_for(other_brand_product, 12, formula=F.BULK, quantity=11) == D("400.00")
        # Another brand's rows never apply.
        assert price_for(product, 12, formula=F.BULK, quantity=3) == D("108.00")

    def test_rounds_half_up_to_the_cent(self):
        cheap = factories.make_product("cheap", price=D("10.10"))
        grid(F.BULK, 1, None, "15")  # 8.585
        assert price_for(cheap, 12, formula=F.BULK, quantity=1) == D("8.59")

    def test_best_discount_without_rows_is_zero(self, product):
        assert best_discount([], brand_id=product.brand_id, formula=F.BULK, quantity=3) == D("0.00")

    def test_refusals(self, product, tiers_bulk):
        with pytest.raises(PriceNotFound):
            price_for(product, 36, formula=F.BULK, quantity=1)
        with pytest.raises(PricingError):
            price_for(product, 12, formula=F.BULK, quantity=0)
        with pytest.raises(PricingError):
            price_for(product, 12, formula="gold", quantity=1)

    def test_preloaded_grid_costs_no_query(self, product, tiers_bulk, django_assert_num_queries):
        rows = list(DiscountGrid.objects.all())
        product = type(product).objects.prefetch_related("periods").get(pk=product.pk)
        with django_assert_num_queries(0):
            assert price_for(product, 12, formula=F.BULK, quantity=7, grid=rows) == D("102.00")


class TestGridRows:
    def test_overlapping_tiers_are_refused(self, tiers_bulk):
        row = DiscountGrid(formula=F.BULK, min_quantity=4, max_quantity=7, discount=D("12"))
        with pytest.raises(ValidationError, match="overlaps"):
            row.full_clean()
        DiscountGrid(formula=F.CURRENT, min_quantity=4, max_quantity=7, discount=D("12")).full_clean()

    def test_one_all_brands_row_per_tier_start(self, tiers_bulk):
        with pytest.raises(IntegrityError), transaction.atomic():
            grid(F.BULK, 1, 3, "1")

    def test_max_below_min_is_refused(self, db):
        with pytest.raises(IntegrityError), transaction.atomic():
            grid(F.BULK, 5, 2, "1")

    def test_tiers_come_from_the_all_brands_rows(self, tiers_bulk, other_brand_product):
        grid(F.CURRENT, 1, 5, "5")
        grid(F.BULK, 1, 2, "1", brand=other_brand_product.brand)
        assert [tier.label for tier in tiers()] == ["1-5", "6-10", "11+"]
        assert Tier.parse("6-10") == Tier(6, 10) and Tier.parse("11-") == Tier(11, None)
        assert Tier.parse("x") is None and Tier.parse("0-3") is None


class TestDefaultGrid:
    def test_load_is_idempotent_and_keeps_staff_changes(self, db):
        call_command("load_catalog", stdout=io.StringIO())
        created, skipped = load_default_grid()
        assert created == len(default_rows()) and skipped == 0
        row = DiscountGrid.objects.get(formula=F.BULK, brand=None, min_quantity=6)
        assert (row.max_quantity, row.discount) == (10, D("15.00"))
        row.discount = D("17.00")
        row.save()
        out = io.StringIO()
        call_command("load_discount_grid", stdout=out)
        assert "0 rows created" in out.getvalue()
        row.refresh_from_db()
        assert row.discount == D("17.00")
        assert DiscountGrid.objects.count() == len(default_rows())

    def test_brand_rows_wait_for_their_brand(self, db):
        created, skipped = load_default_grid()
        assert skipped > 0 and not DiscountGrid.objects.filter(brand__isnull=False).exists()
        assert created == DiscountGrid.objects.count()

    def test_default_grid_is_consistent(self, db):
        call_command("load_catalog", stdout=io.StringIO())
        load_default_grid()
        for row in DiscountGrid.objects.all():
            row.full_clean()  # no overlap, bounds in order


# The page ------------------------------------------------------------------------------------------


def text(response) -> str:
    return " ".join(response.content.decode().split())


class TestPage:
    def test_any_account_user_sees_public_prices_by_default(self, client, tech, account, product, tiers_bulk):
        account.formula = F.BULK
        account.save(update_fields=["formula"])
        client.force_login(tech)
        response = client.get(URL)
        assert response.status_code == 200
        page = text(response)
        assert "Public prices – all brands" in page
        assert "120.00" in page and "220.00" in page  # 12 and 24 months, excl. VAT
        assert "Your price excl. VAT" not in page
        # The account's own formula is preselected in the form.
        assert '<option value="bulk" selected>' in page

    def test_the_chosen_formula_brand_and_tier(
        self, client, billing, product, other_brand_product, tiers_bulk
    ):
        client.force_login(billing)
        response = client.get(URL, {"formula": F.BULK, "brand": "tbs-x509", "tier": "6-10"})
        page = text(response)
        assert "Bulk purchase formula, 6-10 products at once – TBS-X509" in page
        assert "Your price excl. VAT" in page
        assert "102.00" in page and "187.00" in page and "15 %" in page
        assert "Premium EV" not in page  # another brand

    def test_product_details_on_hover(self, client, billing, other_brand_product):
        other_brand_product.brand.delivery_time = "EV: 3-5 days"
        other_brand_product.brand.save()
        client.force_login(billing)
        page = client.get(URL).content.decode()
        assert 'aria-describedby="tip-premium-ev"' in page
        assert 'role="tooltip" id="tip-premium-ev"' in page
        tip = page.split('id="tip-premium-ev"', 1)[1].split("</span></span>", 1)[0]
        for detail in (
            "Extended validation, green trust.",
            "Extended validation",
            "1 included, up to 10",
            "3-5 days",  # the product's own part of the brand's delivery time
        ):
            assert detail in tip, detail

    def test_inactive_products_are_not_listed(self, client, billing, product):
        factories.make_product("old-one", name="Old One", active=False)
        client.force_login(billing)
        assert "Old One" not in text(client.get(URL))

    def test_a_bad_choice_shows_its_error(self, client, billing, product, tiers_bulk):
        client.force_login(billing)
        response = client.get(URL, {"formula": F.BULK, "tier": "2-3"})
        page = text(response)
        assert response.status_code == 200
        assert "Select a valid choice" in page and "Public prices – all brands" in page

    def test_constant_queries(self, client, billing, product, tiers_bulk):
        client.force_login(billing)
        query = {"formula": F.BULK, "tier": "1-5"}
        client.get(URL, query)
        with CaptureQueriesContext(connection) as small:
            assert client.get(URL, query).status_code == 200
        for i in range(6):
            factories.make_product(f"extra-{i}", brand_code=f"brand-{i % 3}")
        with CaptureQueriesContext(connection) as large:
            page = text(client.get(URL, query))
        assert "EXTRA-5" in page
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_refusals(self, client, staff, product):
        response = client.get(URL)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        client.force_login(staff)
        assert client.get(URL).status_code == 403
        assert client.get(URL + "csv/").status_code == 403


class TestDownloads:
    def test_csv_has_the_columns_shown(self, client, tech, product, tiers_bulk):
        client.force_login(tech)
        response = client.get(URL + "csv/", {"formula": F.BULK, "tier": "11-"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
        assert rows[0] == [
            "Brand",
            "Product",
            "Code",
            "Validity (months)",
            "Public price excl. VAT (EUR)",
            "Discount (%)",
            "Your price excl. VAT (EUR)",
        ]
        assert rows[1] == ["TBS-X509", "SSL-OV", "ssl-ov", "12", "120.00", "20.00", "96.00"]
        assert rows[2] == ["TBS-X509", "SSL-OV", "ssl-ov", "24", "220.00", "20.00", "176.00"]

    def test_csv_of_public_prices(self, client, tech, product):
        client.force_login(tech)
        rows = list(
            csv.reader(
                io.StringIO(b"".join(client.get(URL + "csv/").streaming_content).decode().lstrip("\ufeff"))
            )
        )
        assert rows[0][-1] == "Public price excl. VAT (EUR)" and len(rows) == 3

    def test_csv_refuses_a_bad_choice(self, client, tech, product):
        client.force_login(tech)
        response = client.get(URL + "csv/", {"formula": "gold"})
        assert response.status_code == 302 and response["Location"].startswith(URL)

    def test_pdf_states_the_choice_and_prices(self, client, billing, product, tiers_bulk):
        client.force_login(billing)
        response = client.get(URL + "pdf/", {"formula": F.BULK, "tier": "6-10"})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        for expected in (
            "Price list",
            "Bulk purchase formula, 6-10 products at once – all brands",
            "SSL-OV",
            "12 months 120.00 € 15 % 102.00 €",
            "24 months 220.00 € 15 % 187.00 €",
            "Prices in euros excluding VAT",
        ):
            assert expected in pdf_text, expected

    def test_pdf_in_french(self, client, billing, product):
        client.force_login(billing)
        response = client.get(URL + "pdf/", HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")


# Back office ---------------------------------------------------------------------------------------


class TestAdmin:
    def test_staff_edit_the_grid_with_audit(self, client, staff, product):
        client.force_login(staff)
        brand = Brand.objects.get(code="tbs-x509")
        response = client.post(
            reverse("admin:billing_discountgrid_add"),
            {"formula": F.REBATE, "brand": brand.pk, "min_quantity": 1, "max_quantity": 9, "discount": "7.5"},
        )
        assert response.status_code == 302
        row = DiscountGrid.objects.get()
        event = AuditEvent.objects.get(action="billing.discount_grid_added")
        assert event.user == staff and event.details["discount"] == "7.5"
        response = client.post(
            reverse("admin:billing_discountgrid_add"),
            {"formula": F.REBATE, "brand": brand.pk, "min_quantity": 5, "max_quantity": "", "discount": "9"},
        )
        assert response.status_code == 200 and "overlaps" in response.content.decode()
        client.post(reverse("admin:billing_discountgrid_delete", args=[row.pk]), {"post": "yes"})
        assert not DiscountGrid.objects.exists()
        assert AuditEvent.objects.filter(action="billing.discount_grid_deleted").count() == 1
