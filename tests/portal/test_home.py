"""NAV-3: the home page shows each block to the users whose rights allow it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.services.promos import issue_promo_code
from catalog.models import Brand, News


@pytest.fixture
def news(db):
    Brand.objects.create(code="fast-ca", name="Fast CA", delivery_time="DV: minutes, OV: 2 days")
    News.objects.create(title="New EV prices", body="Lower prices on EV certificates.")
    News.objects.create(title="Nouveaux tarifs", body="Pour les francophones.", language="fr")
    News.objects.create(title="Hidden", body="Not published.", active=False)


def test_news_and_delivery_times_in_the_users_language(client, owner, news):
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert "New EV prices" in page and "Hidden" not in page and "Nouveaux tarifs" not in page
    assert "DV: minutes, OV: 2 days" in page


def test_promo_codes_with_expiry_are_shown_to_billing_users_only(client, account, billing, tech):
    code = issue_promo_code(account, Decimal("25.00"), origin="gesture")
    client.force_login(billing)
    page = client.get(reverse("home")).content.decode()
    assert code.code in page and "valid until" in page
    client.force_login(tech)
    page = client.get(reverse("home")).content.decode()
    assert code.code not in page and 'data-testid="home-promo-codes"' not in page
    assert 'data-testid="home-renewals"' in page


def test_other_accounts_promo_codes_never_show(client, other_account, billing):
    code = issue_promo_code(other_account, Decimal("25.00"), origin="gesture")
    client.force_login(billing)
    assert code.code not in client.get(reverse("home")).content.decode()


def test_home_runs_a_bounded_number_of_queries(client, owner, news, django_assert_max_num_queries):
    client.force_login(owner)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    # Bounded, yet every block is there for a super user: news, delivery times, renewals, menu.
    assert "New EV prices" in page and "DV: minutes, OV: 2 days" in page
    assert 'data-testid="home-renewals"' in page
    assert owner.account.name in page and f'href="{reverse("operations:new")}"' in page


def test_every_menu_entry_leads_to_a_page():
    """NAV-1: a menu entry whose URL does not resolve would break every page that renders the menu."""
    from portal import menu

    for section in menu.SECTIONS:
        for entry in section.entries:
            assert entry.url.startswith(section.prefix) or entry.url.startswith("/"), entry.url_name


def test_the_newest_product_sheets_and_the_guide_are_on_the_home_page(client, tech):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import ProductSheet

    brand = Brand.objects.create(code="sheet-ca", name="Sheet CA")
    now = timezone.now()
    for n in range(4):
        ProductSheet.objects.create(brand=brand, title=f"Sheet {n}", updated_at=now - timedelta(days=n))
    ProductSheet.objects.create(brand=brand, title="Draft sheet", active=False, updated_at=now)
    ProductSheet.objects.create(brand=brand, title="Fiche en français", language="fr", updated_at=now)
    client.force_login(tech)
    page = client.get(reverse("home")).content.decode()
    block = page.split('data-testid="home-documentation"', 1)[1].split("</section>", 1)[0]
    assert "Sheet 0" in block and "Sheet 1" in block and "Sheet 2" in block
    assert "Sheet 3" not in block and "Draft sheet" not in block and "Fiche en français" not in block
    assert reverse("documentation:guide_current") in block and reverse("documentation:newsletters") in block


def test_what_staff_change_in_the_catalogue_shows_on_the_next_home_page(client, owner, news):
    """Issue 17: the catalogue blocks are kept between requests and dropped when staff change them."""
    client.force_login(owner)
    assert "Brand new item" not in client.get(reverse("home")).content.decode()
    News.objects.create(title="Brand new item", body="Just published.")
    brand = Brand.objects.get(code="fast-ca")
    brand.delivery_time = "DV: seconds"
    brand.save()
    page = client.get(reverse("home")).content.decode()
    assert "Brand new item" in page and "DV: seconds" in page
    News.objects.filter(title="Brand new item").get().delete()
    assert "Brand new item" not in client.get(reverse("home")).content.decode()


def test_a_new_promo_code_shows_on_the_next_home_page(client, account, billing):
    """Issue 17: the billing blocks are kept in the account's figures and dropped when a promo code changes."""
    client.force_login(billing)
    first = issue_promo_code(account, Decimal("25.00"), origin="gesture")
    assert first.code in client.get(reverse("home")).content.decode()
    second = issue_promo_code(account, Decimal("10.00"), origin="gesture")
    assert second.code in client.get(reverse("home")).content.decode()


def test_home_asks_the_database_for_the_session_and_the_user_only_once_its_blocks_are_kept(
    client, owner, news, django_assert_num_queries
):
    client.force_login(owner)
    client.get(reverse("home"))
    with django_assert_num_queries(2):  # the session, the user with their account
        page = client.get(reverse("home")).content.decode()
    assert "New EV prices" in page and "DV: minutes, OV: 2 days" in page
