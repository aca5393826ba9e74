"""ACCT-3, ORD-9: money received by transfer or cheque, recorded by staff with a confirmation step;
the status page and the unpaid invoices page say how to pay."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User
from billing.models import AppendOnlyError, Document, DocumentKind, DocumentStatus, Receipt
from billing.services.documents import LineInput, issue_credit_note, issue_invoice
from billing.services.receipts import ReceiptError, amount_due, record_receipt
from orders.models import Order, OrderStatus
from tests.factories import make_user
from tests.support.orders import form_data
from tests.support.payments import record_receipt_in_admin

S = OrderStatus
LINES = [LineInput("SSL OV – 1 year", 1, Decimal("100.00"))]  # 120.00 incl. VAT
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


def place_order(client, user, account, product, method: str, captured) -> Order:
    """An order placed through the order form and the review page, paid by `method`."""
    client.force_login(user)
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.match(r"^/operations/review/([^/]+)/$", response["Location"])
    assert match is not None
    token = match.group(1)
    with captured(execute=True):
        client.post(reverse("operations:confirm", args=[token]), {"method": method})
    return Order.objects.get()


def invoice_of(order: Order) -> Document:
    return Document.objects.get(source_reference=order.reference, kind=DocumentKind.INVOICE)


# The service ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_partial_payment_leaves_the_rest_due_and_the_second_settles(account, staff):
    invoice = issue_invoice(account, LINES)
    first = record_receipt(
        invoice, amount="50.00", received_on=TODAY(), method="transfer", reference="VIR-1", by=staff
    )
    assert not first.settles and first.due_after == Decimal("70.00")
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.ISSUED and amount_due(invoice) == Decimal("70.00")
    second = record_receipt(
        invoice, amount=Decimal("70.00"), received_on=TODAY(), method="cheque", reference="CHQ-7", by=staff
    )
    assert second.settles
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.PAID and invoice.payment_reference == "CHQ-7"
    assert Receipt.objects.filter(document=invoice).count() == 2
    events = AuditEvent.objects.filter(action="billing.receipt_recorded", user=staff)
    assert [e.details["amount"] for e in events.order_by("pk")] == ["50.00", "70.00"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "must be a number"),
        ("12.345", "at most two decimals"),
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("120.01", "more than invoice"),
    ],
)
def test_bad_amounts_are_refused(account, staff, amount, message):
    invoice = issue_invoice(account, LINES)
    with pytest.raises(ReceiptError, match=message):
        record_receipt(
            invoice, amount=amount, received_on=TODAY(), method="transfer", reference="X", by=staff
        )
    assert not Receipt.objects.exists()


@pytest.mark.django_db
def test_paid_cancelled_future_and_credited_are_refused(account, staff):
    invoice = issue_invoice(account, LINES)
    with pytest.raises(ReceiptError, match="future"):
        record_receipt(
            invoice,
            amount="120.00",
            received_on=TODAY() + datetime.timedelta(days=1),
            method="transfer",
            reference="X",
            by=staff,
        )
    record_receipt(invoice, amount="120.00", received_on=TODAY(), method="transfer", reference="X", by=staff)
    with pytest.raises(ReceiptError, match="already paid"):
        record_receipt(
            invoice, amount="1.00", received_on=TODAY(), method="transfer", reference="Y", by=staff
        )
    cancelled = issue_invoice(account, LINES)
    issue_credit_note(cancelled, reason="Mistake", by=staff)
    with pytest.raises(ReceiptError, match="cancelled"):
        record_receipt(
            cancelled, amount="1.00", received_on=TODAY(), method="transfer", reference="Z", by=staff
        )
    assert Receipt.objects.count() == 1


@pytest.mark.django_db
def test_receipts_are_append_only(account, staff):
    invoice = issue_invoice(account, LINES)
    outcome = record_receipt(
        invoice, amount="10.00", received_on=TODAY(), method="transfer", reference="X", by=staff
    )
    receipt = outcome.receipt
    receipt.amount = Decimal("99.00")
    with pytest.raises(AppendOnlyError):
        receipt.save()
    with pytest.raises(AppendOnlyError):
        receipt.delete()
    with pytest.raises(AppendOnlyError):
        Receipt.objects.filter(pk=receipt.pk).update(amount=Decimal("1.00"))


# The back office -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_record_a_transfer_on_the_order_with_a_confirmation_step(
    client, tech, staff, account, product, django_capture_on_commit_callbacks
):
    order = place_order(client, tech, account, product, "transfer", django_capture_on_commit_callbacks)
    assert order.status == S.AWAITING_PAYMENT
    invoice = invoice_of(order)
    client.force_login(staff)
    change = reverse("admin:orders_order_change", args=[order.pk])
    url = reverse("admin:orders_order_record_payment", args=[order.pk])
    assert url in client.get(change).content.decode()
    form = client.get(url).content.decode()
    assert 'name="amount"' in form and 'name="received_on"' in form and 'name="reference"' in form
    assert 'value="transfer" selected' in form  # the method chosen at order time
    check, done = record_receipt_in_admin(client, url, "180.00", reference="VIR-2026-42")
    page = check.content.decode()
    assert f"Invoice {invoice.display_number} will be marked paid." in page
    assert f"Order {order.reference} will be marked paid and leave “Awaiting payment”." in page
    assert done["Location"] == change
    order.refresh_from_db()
    invoice.refresh_from_db()
    assert order.paid_at and order.status == S.AWAITING_DCV and order.payment_reference == "VIR-2026-42"
    assert invoice.status == DocumentStatus.PAID
    [receipt] = Receipt.objects.all()
    assert (receipt.amount, receipt.reference, receipt.created_by) == (
        Decimal("180.00"),
        "VIR-2026-42",
        staff,
    )
    # Paid: the link is gone and the page refuses a second payment.
    assert url not in client.get(change).content.decode()
    assert client.get(url)["Location"] == change


@pytest.mark.django_db
def test_the_confirmation_step_books_nothing_and_a_partial_payment_keeps_the_order_waiting(
    client, tech, staff, account, product, django_capture_on_commit_callbacks
):
    order = place_order(client, tech, account, product, "cheque", django_capture_on_commit_callbacks)
    client.force_login(staff)
    url = reverse("admin:orders_order_record_payment", args=[order.pk])
    data = {"amount": "100.00", "received_on": TODAY().isoformat(), "method": "cheque", "reference": "CHQ-1"}
    page = client.post(url, data).content.decode()
    assert "80.00\u00a0€ will remain due" in page and not Receipt.objects.exists()
    client.post(url, {**data, "confirmed": "yes"})
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.paid_at is None
    assert amount_due(invoice_of(order)) == Decimal("80.00")
    client.force_login(make_user(account, "payer", superuser=True))
    unpaid = client.get(reverse("billing:unpaid")).content.decode()
    assert "80.00" in unpaid and "Already received" not in unpaid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("12.345", "Ensure that there are no more than 2 decimal places."),
        ("abc", "Enter a number."),
        ("-10", "Ensure this value is greater than or equal to 0.01."),
        ("500.00", "more than invoice"),
    ],
)
def test_the_form_refuses_bad_amounts(client, staff, account, amount, error):
    invoice = issue_invoice(account, LINES)
    client.force_login(staff)
    url = reverse("admin:billing_document_receipt", args=[invoice.pk])
    data = {"amount": amount, "received_on": TODAY().isoformat(), "method": "transfer", "reference": "R"}
    for confirmed in ("", "yes"):
        response = client.post(url, {**data, "confirmed": confirmed})
        assert response.status_code == 200 and error in response.content.decode()
    assert not Receipt.objects.exists()


@pytest.mark.django_db
def test_the_invoice_page_records_a_payment_and_refuses_a_paid_invoice(client, staff, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(staff)
    url = reverse("admin:billing_document_receipt", args=[invoice.pk])
    change = reverse("admin:billing_document_change", args=[invoice.pk])
    assert url in client.get(change).content.decode()
    _check, done = record_receipt_in_admin(client, url, "120.00", reference="VIR-9")
    assert done["Location"] == change
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.PAID
    assert url not in client.get(change).content.decode()
    response = client.post(
        url,
        {
            "amount": "1",
            "received_on": TODAY().isoformat(),
            "method": "transfer",
            "reference": "R",
            "confirmed": "yes",
        },
        follow=True,
    )
    assert "awaits no payment" in response.content.decode()
    assert Receipt.objects.count() == 1


@pytest.mark.django_db
def test_only_staff_with_the_right_may_record(client, owner, account):
    invoice = issue_invoice(account, LINES)
    url = reverse("admin:billing_document_receipt", args=[invoice.pk])
    data = {"amount": "120.00", "received_on": TODAY().isoformat(), "method": "transfer", "reference": "R"}
    client.force_login(owner)  # an account user, even its super user
    response = client.post(url, {**data, "confirmed": "yes"})
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    reader = User.objects.create_user("reader", "reader@portal.test", "x", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_document"))
    client.force_login(reader)
    assert client.post(url, {**data, "confirmed": "yes"}).status_code == 403
    assert not Receipt.objects.exists()


# What the customer sees ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_status_page_says_how_to_pay_by_transfer(
    client, tech, account, product, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_SELLER = {"name": "Portal Seller SAS", "iban": "FR76 1111 2222 3333", "bic": "SELLFRPP"}
    order = place_order(client, tech, account, product, "transfer", django_capture_on_commit_callbacks)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert 'data-method="transfer"' in page
    for text in ("Portal Seller SAS", "FR76 1111 2222 3333", "SELLFRPP", order.reference, "180.00"):
        assert text in page
    assert 'data-action="pay-card"' not in page


@pytest.mark.django_db
def test_the_status_page_says_where_to_send_a_cheque_and_nothing_once_paid(
    client, tech, staff, account, product, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_SELLER = {"name": "Portal Seller SAS", "address": "2 quai des Chèques", "city": "Caen"}
    order = place_order(client, tech, account, product, "cheque", django_capture_on_commit_callbacks)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert 'data-method="cheque"' in page
    assert "payable to <strong>Portal Seller SAS</strong>" in page and "2 quai des Chèques" in page
    assert f'<strong class="payment-reference">{order.reference}</strong>' in page
    record_receipt(
        invoice_of(order), amount="180.00", received_on=TODAY(), method="cheque", reference="CHQ", by=staff
    )
    assert (
        'data-testid="how-to-pay"'
        not in client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    )


@pytest.mark.django_db
def test_the_unpaid_invoices_page_says_how_to_pay(client, billing, account, settings):
    settings.BILLING_SELLER = {"name": "Portal Seller SAS", "iban": "FR76 1111 2222 3333"}
    client.force_login(billing)
    assert 'data-testid="how-to-pay"' not in client.get(reverse("billing:unpaid")).content.decode()
    invoice = issue_invoice(account, LINES)
    page = client.get(reverse("billing:unpaid")).content.decode()
    assert 'data-testid="how-to-pay"' in page and "FR76 1111 2222 3333" in page
    assert reverse("payments:card_start", args=[invoice.public_id]) in page
    csv = b"".join(client.get(reverse("billing:unpaid_csv")).streaming_content).decode()
    assert "Pay by card" not in csv


# Lock order ---------------------------------------------------------------------------------------


def _locks(queries) -> list[str]:
    """The tables locked FOR UPDATE, in the order of the queries."""
    tables = []
    for query in queries:
        sql = query["sql"]
        table = re.search(r'FROM "(\w+)"', sql)
        if "FOR UPDATE" in sql and table is not None:
            tables.append(table.group(1))
    return tables


@pytest.mark.django_db
def test_a_receipt_locks_the_order_before_its_invoice_as_record_payment_does(
    client, tech, staff, account, product, django_capture_on_commit_callbacks
):
    """Receipts (staff transfer, card) and "record payment" both lock the order, then the invoice:
    in the other order, the two on the same order could deadlock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = place_order(client, tech, account, product, "transfer", django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as receipt:
        record_receipt(
            invoice_of(order),
            amount="180.00",
            received_on=TODAY(),
            method="transfer",
            reference="V",
            by=staff,
        )
    locks = _locks(receipt.captured_queries)
    assert locks[:2] == ["orders_order", "billing_document"], locks
    order.refresh_from_db()
    assert order.paid_at is not None
