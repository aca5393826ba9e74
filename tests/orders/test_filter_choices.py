"""Issue 17: the order list's product and brand filters are kept between requests and follow the
catalogue (a product or brand saved or deleted drops them); the "Ordered by" filter offers the
account's users only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Brand
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db


def list_page(client, **params) -> str:
    return client.get(reverse("orders:list"), params).content.decode()


def test_a_new_or_renamed_product_or_brand_shows_in_the_filters(client, tech, product):
    client.force_login(tech)
    assert "Zeta <Secure>" not in list_page(client)
    added = make_product("zeta-dv")
    added.name = "Zeta <Secure>"
    added.save()
    body = list_page(client)
    assert "Zeta &lt;Secure&gt;" in body
    brand = Brand.objects.get(pk=added.brand_id)
    brand.name = "Renamed Brand"
    brand.save()
    assert '">Renamed Brand</option>' in list_page(client)
    added.delete()
    assert "Zeta &lt;Secure&gt;" not in list_page(client)


def test_ordered_by_offers_the_accounts_users_only_and_refuses_another(client, tech, outsider, account):
    client.force_login(tech)
    make_user(account, "colleague")
    body = list_page(client)
    select = body[body.index('name="ordered_by"') : body.index("</select>", body.index('name="ordered_by"'))]
    assert "colleague" in select and "tech" in select and "outsider" not in select
    refused = list_page(client, ordered_by=outsider.pk)
    assert "Select a valid choice" in refused
