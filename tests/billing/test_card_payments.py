"""ORD-9: card payments through the payment-provider interface and its offline test provider:
start, the signed return and notification, refusals of tampered messages, idempotence on replays,
and a provider chosen by settings alone."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import Document, DocumentKind, DocumentStatus, Receipt
from billing.payments.providers import CardPayment, PaymentProvider, ProviderResult, get_provider
from billing.payments.test_provider import TestPaymentProvider
from billing.services.documents import LineInput, issue_invoice
from orders.models import Order, OrderStatus
from tests.support.orders import form_data

S = OrderStatus


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


def place_card_order(client, user, account, product, captured) -> Order:
    client.force_login(user)
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    match = re.match(r"^/operations/review/([^/]+)/$", response["Location"])
    assert match is not None
    with captured(execute=True):
        client.post(reverse("operations:confirm", args=[match.group(1)]), {"method": "card"})
    return Order.objects.get()


def invoice_of(order: Order) -> Document:
    return Document.objects.get(source_reference=order.reference, kind=DocumentKind.INVOICE)


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def to_provider(client, order: Order) -> str:
    """Press "Pay by card" on the status page; returns the test provider's URL."""
    status = reverse("orders:detail", args=[order.reference])
    page = client.get(status).content.decode()
    start = reverse("payments:card_start", args=[invoice_of(order).public_id])
    assert start in page and 'data-action="pay-card"' in page
    response = client.post(start, {"next": status})
    assert response.status_code == 302 and response["Location"].startswith(reverse("payments:test_provider"))
    return response["Location"]


def decide(client, provider_url: str, decision: str) -> str:
    """On the test provider's page, press Pay or Decline; returns the return URL with its verdict."""
    page = client.get(provider_url)
    assert page.status_code == 200
    assert "Test payment provider — no real money" in page.content.decode()
    response = client.post(reverse(f"payments:test_provider_{decision}"), query(provider_url))
    assert response.status_code == 302 and response["Location"].startswith(
        "http://testserver/payments/return/"
    )
    return response["Location"]


@pytest.mark.django_db
def test_a_card_order_is_paid_through_the_test_provider(
    client, tech, account, product, django_capture_on_commit_callbacks
):
    order = place_card_order(client, tech, account, product, django_capture_on_commit_callbacks)
    assert order.status == S.AWAITING_PAYMENT
    provider_url = to_provider(client, order)
    assert "180.00" in client.get(provider_url).content.decode()
    back = decide(client, provider_url, "pay")
    response = client.get(back, follow=True)
    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.reference])
    page = response.content.decode()
    assert "is paid by card" in page and 'data-testid="how-to-pay"' not in page
    order.refresh_from_db()
    invoice = invoice_of(order)
    assert order.paid_at and order.status == S.AWAITING_DCV
    assert invoice.status == DocumentStatus.PAID
    [receipt] = Receipt.objects.all()
    assert receipt.method == "card" and receipt.amount == Decimal("180.00")
    assert receipt.provider_transaction.startswith("test-")


@pytest.mark.django_db
def test_a_declined_payment_pays_nothing(client, tech, account, product, django_capture_on_commit_callbacks):
    order = place_card_order(client, tech, account, product, django_capture_on_commit_callbacks)
    back = decide(client, to_provider(client, order), "decline")
    page = client.get(back, follow=True).content.decode()
    assert "was declined" in page and 'data-action="pay-card"' in page
    order.refresh_from_db()
    assert order.paid_at is None and not Receipt.objects.exists()
    assert AuditEvent.objects.filter(action="billing.card_payment_declined").count() == 1


@pytest.mark.django_db
def test_replays_of_the_return_and_the_notification_settle_once(
    client, tech, account, product, django_capture_on_commit_callbacks
):
    order = place_card_order(client, tech, account, product, django_capture_on_commit_callbacks)
    back = decide(client, to_provider(client, order), "pay")
    verdict = query(back)
    notify = reverse("payments:notify")
    anonymous = client.__class__()  # the provider's server: no session, no CSRF token
    first = anonymous.post(notify, {"payload": verdict["payload"], "signature": verdict["signature"]})
    assert (first.status_code, first.content) == (200, b"ok")
    again = anonymous.post(notify, {"payload": verdict["payload"], "signature": verdict["signature"]})
    assert (again.status_code, again.content) == (200, b"duplicate")
    client.get(back)
    client.get(back)
    assert Receipt.objects.count() == 1
    assert AuditEvent.objects.filter(action="order.payment_recorded", object_id=order.reference).count() == 1
    assert AuditEvent.objects.filter(action="billing.receipt_recorded").count() == 1
    order.refresh_from_db()
    assert order.status == S.AWAITING_DCV


@pytest.mark.django_db
def test_tampered_messages_answer_400_with_the_reason(
    client, tech, account, product, django_capture_on_commit_callbacks
):
    order = place_card_order(client, tech, account, product, django_capture_on_commit_callbacks)
    provider_url = to_provider(client, order)
    request = query(provider_url)
    # The payment request altered on its way to the provider (a lower amount).
    forged = TestPaymentProvider(secret="not-our-key").encode(
        {"invoice": "x", "amount": "1.00", "return_url": "/"}
    )
    response = client.get(reverse("payments:test_provider"), {**request, "payload": forged["payload"]})
    assert response.status_code == 400 and "signature does not match" in response.content.decode()
    back = decide(client, provider_url, "pay")
    verdict = query(back)
    tampered = {"next": verdict["next"], "payload": verdict["payload"], "signature": "0" * 64}
    response = client.get(reverse("payments:return"), tampered)
    assert response.status_code == 400 and "signature does not match" in response.content.decode()
    response = client.post(
        reverse("payments:notify"), {"payload": forged["payload"], "signature": forged["signature"]}
    )
    assert response.status_code == 400 and "signature does not match" in response.content.decode()
    response = client.post(reverse("payments:notify"), {})
    assert response.status_code == 400 and "missing" in response.content.decode()
    assert not Receipt.objects.exists()
    order.refresh_from_db()
    assert order.paid_at is None


@pytest.mark.django_db
def test_another_accounts_invoice_cannot_be_paid_or_returned(
    client, tech, outsider, other_account, account, product, django_capture_on_commit_callbacks
):
    order = place_card_order(client, tech, account, product, django_capture_on_commit_callbacks)
    back = decide(client, to_provider(client, order), "pay")
    client.force_login(outsider)
    assert client.post(reverse("payments:card_start", args=[invoice_of(order).public_id])).status_code == 404
    assert client.get(back).status_code == 404
    assert not Receipt.objects.exists()


@pytest.mark.django_db
def test_a_paid_invoice_starts_no_payment(client, billing, account, staff):
    invoice = issue_invoice(account, [LineInput("SSL", 1, Decimal("10.00"))])
    from billing.services.documents import mark_paid

    mark_paid(invoice, staff)
    client.force_login(billing)
    response = client.post(reverse("payments:card_start", args=[invoice.public_id]), follow=True)
    assert "awaits no payment" in response.content.decode()


class ElsewhereProvider(PaymentProvider):
    """A provider as a real one plugs in: a class named by the settings, its options from them."""

    label = "Elsewhere Pay"

    def start(self, payment: CardPayment) -> str:
        return (
            f"https://pay.elsewhere.test/{self.options['merchant']}/{payment.number}?amount={payment.amount}"
        )

    def verify_return(self, request) -> ProviderResult:
        raise NotImplementedError

    def verify_notification(self, request) -> ProviderResult:
        raise NotImplementedError


@pytest.mark.django_db
def test_a_provider_plugs_in_by_settings_alone(client, billing, account, settings):
    settings.BILLING_PAYMENT_PROVIDER = f"{__name__}.ElsewhereProvider"
    settings.BILLING_PAYMENT_PROVIDER_OPTIONS = {"merchant": "M-42"}
    invoice = issue_invoice(account, [LineInput("SSL", 1, Decimal("10.00"))])
    client.force_login(billing)
    response = client.post(reverse("payments:card_start", args=[invoice.public_id]))
    assert response["Location"] == f"https://pay.elsewhere.test/M-42/{invoice.display_number}?amount=12.00"
    # The test provider's pages are gone with it.
    assert client.get(reverse("payments:test_provider")).status_code == 404
    settings.BILLING_PAYMENT_PROVIDER = "billing.models.Document"
    with pytest.raises(ImproperlyConfigured):
        get_provider()
