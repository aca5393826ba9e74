"""ACC-1: a person who received a certificate ordered by someone else (a service provider's customer)
opens an account from a registration form prefilled with the organisation of that certificate."""

from __future__ import annotations

import re
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import Organisation
from accounts.services import PREFILL_MAX_AGE, registration_prefill_url
from orders.models import Order, OrderStatus
from orders.services.issuing import send_delivery_email
from tests.support.lifecycle import delivered_order
from tests.support.orders import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def customer(account) -> Organisation:
    """The provider's customer: an organisation of the account that is not the account holder."""
    return Organisation.objects.create(
        account=account,
        name="Boulangerie Dupont",
        registration_number="552100554",
        vat_number="FR40552100554",
        address="3 place du Marché",
        postal_code="69002",
        city="Lyon",
        country="FR",
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_status_page_offers_a_prefilled_registration_to_the_holder(
    client, tech, account, product, customer
):
    order = make_order(account, product, status=OrderStatus.DELIVERED_PAID, paid=True)
    Order.objects.filter(pk=order.pk).update(organisation=customer)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    link = re.search(r'data-testid="holder-registration".*?href="([^"]+)"', page, re.S)
    assert link, page
    client.logout()
    response = client.get(path_of(link.group(1).replace("&amp;", "&")))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["company_name"] == "Boulangerie Dupont"
    assert form.initial["registration_number"] == "552100554"
    assert form.initial["city"] == "Lyon" and form.initial["vat_number"] == "FR40552100554"
    assert 'data-testid="registration-prefilled"' in response.content.decode()
    assert 'value="Boulangerie Dupont"' in response.content.decode()


def test_no_prefilled_registration_for_the_accounts_own_organisation(client, tech, account, product):
    order = make_order(account, product, status=OrderStatus.DELIVERED_PAID, paid=True)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert 'data-testid="holder-registration"' not in page


def test_a_tampered_or_old_link_gives_an_empty_form(client, customer):
    url = path_of(registration_prefill_url(customer))
    tampered = client.get(url[:-3] + "abc")
    assert tampered.status_code == 200 and "company_name" not in tampered.context["form"].initial
    later = time.time() + PREFILL_MAX_AGE.total_seconds() + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        old = client.get(url)
    assert old.status_code == 200 and "company_name" not in old.context["form"].initial
    assert 'data-testid="registration-prefilled"' not in old.content.decode()
    garbage = client.get(reverse("registration:register") + "?prefill=%00%ff")
    assert garbage.status_code == 200


def test_the_delivery_email_carries_the_link_for_a_customers_certificate(
    account, product, customer, mailoutbox, django_capture_on_commit_callbacks
):
    order = delivered_order(account, product)
    Order.objects.filter(pk=order.pk).update(organisation=customer)
    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        send_delivery_email(order, order.certificates.get())
    [message] = mailoutbox
    assert "Boulangerie Dupont can open its own account" in message.body
    assert "https://portal.example.test/register/?prefill=" in message.body
