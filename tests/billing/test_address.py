"""ORD-2 "billing address if different" on the order form, ADM-5 default billing address: the
invoice of the order shows the address chosen; the account's VAT treatment does not change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Right
from billing.models import BillingProfile, DocumentKind
from billing.services.documents import LineInput, issue_invoice
from tests.factories import make_user
from tests.orders.test_order_payment import confirm, documents, pdf_text, the_order
from tests.support.orders import form_data

pytestmark = pytest.mark.django_db

LINES = [LineInput("SSL certificate", Decimal("1"), Decimal("100.00"))]
ADDRESS = {
    "billing_name": "Acme Hosting – Accounts payable",
    "billing_address": "8 quai des Factures",
    "billing_postal_code": "75004",
    "billing_city": "Paris",
    "billing_country": "FR",
}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


def order_url(product) -> str:
    return reverse("operations:order", args=[product.code])


def test_an_order_billed_to_another_address_gets_an_invoice_at_that_address(
    tech_client, account, product, django_capture_on_commit_callbacks
):
    data = form_data(account, billing_different="on", **ADDRESS)
    response = tech_client.post(order_url(product), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    review = tech_client.get(response["Location"]).content.decode()
    assert "8 quai des Factures, 75004 Paris (FR)" in review
    token = response["Location"].rstrip("/").split("/")[-1]
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="transfer")
    order = the_order()
    assert order.options["billing_address"]["city"] == "Paris"
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert (invoice.buyer_name, invoice.buyer_city) == ("Acme Hosting – Accounts payable", "Paris")
    text = pdf_text(invoice)
    assert "8 quai des Factures" in text and "75004" in text
    # Same VAT as an order billed to the head office: the legal entity billed did not change.
    assert invoice.total_incl_vat == (invoice.total_excl_vat * Decimal("1.20")).quantize(Decimal("0.01"))


def test_a_billing_address_needs_its_street_city_and_country(tech_client, account, product):
    data = form_data(account, billing_different="on", billing_name="Accounts payable")
    response = tech_client.post(order_url(product), data)
    assert response.status_code == 200
    form = response.context["req"].order
    for field in ("billing_address", "billing_postal_code", "billing_city", "billing_country"):
        assert field in form.errors, field
    assert 'value="Accounts payable"' in response.content.decode()  # nothing typed is lost


def test_without_a_billing_address_invoices_show_the_head_office(account, owner):
    invoice = issue_invoice(account, LINES, reference="CP0001", by=owner)
    holder = account.holder
    assert (invoice.buyer_address, invoice.buyer_city) == (holder.address, holder.city)


def test_the_accounts_default_billing_address_is_used_and_prefills_the_order_form(
    client, billing, tech, account, product, owner
):
    client.force_login(billing)
    page = client.get(reverse("account_info:billing_address"))
    assert page.status_code == 200 and 'data-testid="head-office"' in page.content.decode()
    response = client.post(reverse("account_info:billing_address"), ADDRESS)
    assert response.status_code == 302
    assert BillingProfile.objects.get(account=account).billing_city == "Paris"

    invoice = issue_invoice(account, LINES, reference="CP0002", by=owner)
    assert (invoice.buyer_address, invoice.buyer_postal_code) == ("8 quai des Factures", "75004")
    assert invoice.buyer_registration_number == account.holder.registration_number

    client.force_login(tech)
    form = client.get(order_url(product) + "?months=12").context["req"].order
    assert form["billing_different"].value() is True
    assert form["billing_city"].value() == "Paris"


def test_an_incomplete_default_address_is_refused_and_emptying_it_goes_back_to_the_head_office(
    client, billing, account, owner
):
    client.force_login(billing)
    url = reverse("account_info:billing_address")
    response = client.post(url, {**ADDRESS, "billing_city": ""})
    assert response.status_code == 200 and "billing_city" in response.context["form"].errors
    client.post(url, ADDRESS)
    client.post(url, dict.fromkeys(ADDRESS, ""))
    invoice = issue_invoice(account, LINES, reference="CP0003", by=owner)
    assert invoice.buyer_city == account.holder.city


def test_only_billing_users_edit_the_billing_address(client, account, tech, other_account):
    client.force_login(tech)
    assert client.get(reverse("account_info:billing_address")).status_code == 403
    outsider = make_user(other_account, "outsider-billing", rights=[Right.BILLING])
    client.force_login(outsider)
    client.post(reverse("account_info:billing_address"), ADDRESS)
    assert not BillingProfile.objects.filter(account=account, billing_city="Paris").exists()
