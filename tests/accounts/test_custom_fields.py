"""ADM-7: custom fields, labelled by the account, set on the order form, changed on the status page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.orders.test_order_lists_search import quick_order
from tests.support.ordering import confirm, post_form, review_page, token_of
from tests.support.orders import form_data


@pytest.fixture
def labelled(account):
    account.custom_label_1 = "Cost centre"
    account.custom_label_3 = "Project"
    account.save()
    return account


@pytest.mark.django_db
def test_order_form_sets_the_labelled_custom_fields(client, tech, labelled, product):
    client.force_login(tech)
    page = client.get(reverse("operations:order", args=[product.code]) + "?months=12").content.decode()
    assert "Cost centre" in page and "Project" in page and 'name="custom_2"' not in page
    data = form_data(labelled, custom_1="CC-42", custom_3="Shop", custom_2="ignored")
    token = token_of(post_form(client, product, data))
    assert "CC-42" in review_page(client, token)
    order = confirm(client, token)
    assert (order.custom_1, order.custom_2, order.custom_3) == ("CC-42", "", "Shop")


@pytest.mark.django_db
def test_custom_fields_are_refused_when_too_long(client, tech, labelled, product):
    client.force_login(tech)
    response = post_form(client, product, form_data(labelled, custom_1="x" * 201))
    assert response.status_code == 200


@pytest.mark.django_db
def test_status_page_shows_and_changes_them(client, tech, labelled, product):
    order = quick_order(labelled, product, "cf.acme.test", custom_1="CC-1")
    client.force_login(tech)
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Cost centre" in detail and "CC-1" in detail
    url = reverse("orders:custom_fields", args=[order.reference])
    response = client.post(url, {"custom_1": "CC-2", "custom_3": "Migration"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.custom_1, order.custom_3) == ("CC-2", "Migration")
    event = AuditEvent.objects.get(action="order.custom_fields_changed", object_id=order.reference)
    assert event.details == {"custom_1": "CC-2", "custom_3": "Migration"}


@pytest.mark.django_db
def test_changing_them_refuses_other_rights_and_accounts(client, billing, outsider, labelled, product):
    order = quick_order(labelled, product, "cf.acme.test")
    url = reverse("orders:custom_fields", args=[order.reference])
    client.force_login(billing)
    assert client.post(url, {"custom_1": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"custom_1": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.custom_1 == ""
