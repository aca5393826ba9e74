"""ACCT-3: unpaid invoices (number, date, amount, due date), overdue ones in red, total due."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.services import documents as document_services
from billing.services.documents import LineInput, issue_credit_note, issue_invoice, mark_paid
from tests.billing.test_pages_documents import on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
URL = "/accounting/unpaid/"
LINES = [LineInput("SSL OV – 1 year", 1, D("100.00"))]


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def row_class(html: str, number: str) -> str:
    match = re.search(rf'<tr\s[^>]*data-number="{number}"[^>]*>', html)
    assert match, f"no row for {number}"
    found = re.search(r'class="([^"]*)"', match.group(0))
    return found.group(1) if found else ""


def test_unpaid_invoices_with_due_dates_and_total(client, billing, account, other_account):
    with on(days_ago(45)):
        late = issue_invoice(account, LINES, due_days=30)  # due 15 days ago
    current = issue_invoice(account, [LineInput("EV – 1 year", 1, D("250.00"))], due_days=30)
    paid = issue_invoice(account, LINES)
    mark_paid(paid)
    cash = issue_invoice(account, LINES, paid=True)
    theirs = issue_invoice(other_account, LINES)
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    assert [row.record.display_number for row in response.context["table"].page.object_list] == [
        late.display_number,
        current.display_number,
    ]  # by due date
    html = response.content.decode()
    assert "overdue" in row_class(html, late.display_number)
    assert "overdue" not in row_class(html, current.display_number)
    assert late.due_date == days_ago(15)
    assert response.context["totals"] == {"total": D("420.00"), "overdue": D("120.00")}
    assert re.search(r'data-testid="total-due">420.00', html)
    for hidden in (paid, cash, theirs):
        assert hidden.display_number not in html


def test_a_partial_credit_note_lowers_what_is_due(client, billing, account):
    invoice = issue_invoice(account, [LineInput("SSL OV – 1 year", 2, D("100.00"))])
    issue_credit_note(invoice, [LineInput("SSL OV – 1 year", 1, D("100.00"))], reason="One cancelled")
    client.force_login(billing)
    response = client.get(URL)
    record = response.context["table"].page.object_list[0].record
    assert (record.total_incl_vat, record.amount_due) == (D("240.00"), D("120.00"))
    assert response.context["totals"]["total"] == D("120.00")


def test_a_fully_credited_invoice_is_no_longer_due(client, billing, account):
    invoice = issue_invoice(account, LINES)
    issue_credit_note(invoice, reason="Cancelled")
    client.force_login(billing)
    response = client.get(URL)
    assert invoice.display_number not in response.content.decode()
    assert response.context["totals"]["total"] == D("0.00")


def test_a_deposit_coupon_used_for_the_order_lowers_what_is_due(client, billing, account):
    """ACCT-4: the list shows what the invoice page and the receipts ask for (amount_due)."""
    from billing.services.coupons import apply_coupon, issue_coupon
    from billing.services.receipts import amount_due

    invoice = issue_invoice(account, LINES, reference="CP0002")  # 120.00 incl. VAT
    apply_coupon(issue_coupon(account, D("40.20"), origin_reference="CP0001"), D("40.20"), reference="CP0002")
    client.force_login(billing)
    response = client.get(URL)
    record = response.context["table"].page.object_list[0].record
    assert record.amount_due == amount_due(invoice) == D("79.80")
    assert response.context["totals"]["total"] == D("79.80")


def test_it_refuses_a_user_without_the_billing_right(client, tech):
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:unpaid_csv")).status_code == 403


def test_csv_has_the_shown_columns(client, billing, account):
    with on(days_ago(45)):
        late = issue_invoice(account, LINES, due_days=30, reference="CP0009")
    client.force_login(billing)
    response = client.get(reverse("billing:unpaid_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows == [
        ["Number", "Date", "Reference", "Amount incl. VAT", "Amount due", "Due date", "Status"],
        [
            late.display_number,
            days_ago(45).isoformat(),
            "CP0009",
            "120.00",
            "120.00",
            days_ago(15).isoformat(),
            "Overdue",
        ],
    ]


def test_the_number_of_queries_does_not_grow_with_the_list(client, billing, account):
    client.force_login(billing)
    for _i in range(5):
        issue_invoice(account, LINES)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for _i in range(45):
        invoice = issue_invoice(account, LINES)
    issue_credit_note(invoice, [LineInput("SSL OV – 1 year", 1, D("10.00"))], reason="Discount")
    client.get(URL)  # the writes dropped the account's cached badges: counted again once
    with CaptureQueriesContext(connection) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)
