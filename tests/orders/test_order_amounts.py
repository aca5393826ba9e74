"""One price everywhere (issue 8 point 7): the review page, the confirmation page and email, the status
page and the invoice show the same amounts for the payment method chosen, at the buyer's real VAT
(reverse charge included); an order paid with tokens shows its token, not euros."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.models import DocumentKind
from billing.services.ledger import credit_tokens
from billing.services.vat import REVERSE_CHARGE_MENTION
from tests.orders.test_order_payment import confirm, documents, review_token, set_formula, the_order


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


def make_german_buyer(account: Account) -> None:
    holder = account.holder
    assert holder is not None
    holder.country, holder.vat_number = "DE", "DE136695976"
    holder.save(update_fields=["country", "vat_number"])


def pages(client, order) -> dict[str, str]:
    return {
        "status": client.get(reverse("orders:detail", args=[order.reference])).content.decode(),
        "confirmation": client.get(
            reverse("operations:confirmation", args=[order.reference])
        ).content.decode(),
    }


@pytest.mark.django_db
def test_a_french_buyer_sees_the_invoice_amounts_everywhere(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(tech)
    token = review_token(client, account, product)
    review = client.post(reverse("operations:review", args=[token]), {"method": "transfer"}).content.decode()
    assert 'class="plan-total-incl"><strong>180.00 €' in review and "VAT 20 %" in review
    confirm(client, token, django_capture_on_commit_callbacks, method="transfer")
    order = the_order()
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert order.vat_rate == Decimal("20.00") and invoice.total_incl_vat == order.price_incl_vat
    for page in pages(client, order).values():
        assert "150.00 € excl. VAT, VAT 20 %: 30.00 €, 180.00 € incl. VAT" in page
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert "150.00 € excl. VAT, VAT 20 %: 30.00 €, 180.00 € incl. VAT" in mail.body


@pytest.mark.django_db
def test_a_reverse_charge_buyer_pays_no_vat_on_every_page(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    make_german_buyer(account)
    client.force_login(tech)
    token = review_token(client, account, product)
    review = client.get(reverse("operations:review", args=[token])).content.decode()
    assert "VAT 0 %" in review and "VAT 20 %" not in review and str(REVERSE_CHARGE_MENTION) in review
    assert 'class="price-incl"><strong>150.00 €' in review
    confirm(client, token, django_capture_on_commit_callbacks, method="transfer")
    order = the_order()
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert order.vat_rate == 0 and invoice.total_incl_vat == Decimal("150.00") == order.price_incl_vat
    for page in pages(client, order).values():
        assert "150.00 € excl. VAT, VAT 0 %: 0.00 €, 150.00 € incl. VAT" in page
        assert str(REVERSE_CHARGE_MENTION) in page
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert "VAT 0 %: 0.00 €, 150.00 € incl. VAT" in mail.body and str(REVERSE_CHARGE_MENTION) in mail.body


@pytest.mark.django_db
def test_a_token_order_shows_its_token_not_euros(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    set_formula(account, Account.Formula.BULK)
    credit_tokens(account, product, 3, reference="TOPUP-1")
    client.force_login(tech)
    token = review_token(client, account, product)
    review = client.get(reverse("operations:review", args=[token])).content.decode()
    assert 'class="plan-total plan-tokens"><strong>1 token' in review and "plan-price" not in review
    confirm(client, token, django_capture_on_commit_callbacks, method="tokens")
    order = the_order()
    for page in pages(client, order).values():
        assert "1 token, taken from your tokens" in page and "€ excl. VAT," not in page
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert "Price: 1 token, taken from your tokens." in mail.body and "€ excl. VAT" not in mail.body
