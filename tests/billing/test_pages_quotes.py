"""ACCT-2: quotes in progress (number, date, amount, expiry) and their acceptance by the customer."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from billing.models import Document, DocumentStatus
from billing.services import documents as document_services
from billing.services.documents import DocumentError, LineInput, expire_quotes, issue_invoice, issue_quote
from billing.services.quotes import QuoteExpired, accept_quote, open_quotes, quote_expiry
from tests.billing.test_pages_documents import on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
LINES = [LineInput("EV certificate – 1 year", 2, D("300.00"))]
URL = "/accounting/quotes/"


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def accept_url(quote) -> str:
    return reverse("billing:quote_accept", args=[quote.public_id])


@pytest.mark.sqlite  # date arithmetic in SQL: checked on SQLite too
def test_open_quotes_with_amount_and_expiry(client, billing, account, other_account, settings):
    settings.BILLING_QUOTE_VALIDITY_DAYS = 30
    with on(days_ago(10)):
        recent = issue_quote(account, LINES, reference="TOPUP-7")
    with on(days_ago(31)):
        stale = issue_quote(account, LINES)
    signed = issue_quote(account, LINES)
    document_services.sign_quote(signed)
    invoice = issue_invoice(account, LINES)
    theirs = issue_quote(other_account, LINES)
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    rows = [row.record for row in response.context["table"].page.object_list]
    assert [row.display_number for row in rows] == [recent.display_number]
    assert rows[0].expiry == days_ago(10) + datetime.timedelta(days=30)
    html = response.content.decode()
    assert "720.00" in html  # 2 × 300 + 20 % VAT
    assert "TOPUP-7" in html
    assert f'href="{accept_url(recent)}"' in html
    for hidden in (stale, signed, invoice, theirs):
        assert hidden.display_number not in html


def test_expiry_falls_back_on_the_due_date_then_the_validity_setting(account, settings):
    settings.BILLING_QUOTE_VALIDITY_DAYS = 15
    quote = issue_quote(account, LINES)
    assert quote_expiry(quote) == quote.valid_until
    quote.valid_until = None
    assert quote_expiry(quote) == quote.issue_date + datetime.timedelta(days=15)
    quote.due_date = quote.issue_date + datetime.timedelta(days=3)
    assert quote_expiry(quote) == quote.due_date


def test_the_confirmation_page_shows_the_quote(client, billing, account):
    quote = issue_quote(account, LINES)
    client.force_login(billing)
    response = client.get(accept_url(quote))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accept this quote" in html and "EV certificate – 1 year" in html and "720.00" in html
    assert Document.objects.get(pk=quote.pk).status == DocumentStatus.OPEN  # GET changes nothing


def test_accepting_signs_the_quote_and_audits_it(client, billing, account):
    quote = issue_quote(account, LINES)
    client.force_login(billing)
    response = client.post(accept_url(quote), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert f"Quote {quote.display_number} is accepted." in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == DocumentStatus.SIGNED and quote.signed_at is not None
    event = AuditEvent.objects.get(action="quote.accepted")
    assert (event.account, event.user, event.object_id) == (account, billing, quote.public_id)
    assert event.details["number"] == quote.display_number and event.ip_address == "127.0.0.1"
    assert quote.display_number not in client.get(URL).content.decode()  # no longer in progress


def test_accepting_twice_changes_nothing(client, billing, account):
    quote = issue_quote(account, LINES)
    client.force_login(billing)
    client.post(accept_url(quote))
    signed_at = Document.objects.get(pk=quote.pk).signed_at
    client.post(accept_url(quote))
    assert Document.objects.get(pk=quote.pk).signed_at == signed_at
    assert AuditEvent.objects.filter(action="quote.accepted").count() == 1
    assert "This quote was accepted on" in client.get(accept_url(quote)).content.decode()


def test_an_expired_quote_is_refused_with_a_message(client, billing, account, settings):
    settings.BILLING_QUOTE_VALIDITY_DAYS = 30
    with on(days_ago(31)):
        quote = issue_quote(account, LINES)
    client.force_login(billing)
    page = client.get(accept_url(quote)).content.decode()
    assert "Accept this quote" not in page and "This quote expired on" in page
    response = client.post(accept_url(quote), follow=True)
    assert "expired on" in response.content.decode() and "ask us for a new quote" in response.content.decode()
    assert Document.objects.get(pk=quote.pk).status == DocumentStatus.OPEN
    assert not AuditEvent.objects.filter(action="quote.accepted").exists()


def test_a_quote_expired_by_the_job_is_refused(billing, account, settings):
    settings.BILLING_QUOTE_VALIDITY_DAYS = 30
    with on(days_ago(40)):
        quote = issue_quote(account, LINES)
    assert expire_quotes() == 1
    with pytest.raises(QuoteExpired):
        accept_quote(quote, billing)


def test_only_a_quote_of_the_users_account_can_be_accepted(billing, outsider, account):
    quote = issue_quote(account, LINES)
    with pytest.raises(DocumentError):
        accept_quote(quote, outsider)
    with pytest.raises(DocumentError):
        accept_quote(issue_invoice(account, LINES), billing)
    assert Document.objects.get(pk=quote.pk).status == DocumentStatus.OPEN


def test_another_accounts_quote_is_404(client, billing, other_account):
    theirs = issue_quote(other_account, LINES)
    client.force_login(billing)
    assert client.get(accept_url(theirs)).status_code == 404
    assert client.post(accept_url(theirs)).status_code == 404
    assert Document.objects.get(pk=theirs.pk).status == DocumentStatus.OPEN


def test_an_invoice_is_not_a_quote_here(client, billing, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(billing)
    assert client.get(reverse("billing:quote_accept", args=[invoice.public_id])).status_code == 404


def test_it_refuses_a_user_without_the_billing_right(client, tech, account):
    quote = issue_quote(account, LINES)
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:quotes_csv")).status_code == 403
    assert client.post(accept_url(quote)).status_code == 403
    assert Document.objects.get(pk=quote.pk).status == DocumentStatus.OPEN


def test_csv_of_the_quotes(client, billing, account):
    quote = issue_quote(account, LINES, reference="TOPUP-7")
    client.force_login(billing)
    response = client.get(reverse("billing:quotes_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows == [
        ["Number", "Date", "Reference", "Excl. VAT", "Incl. VAT", "Expires on"],
        [
            quote.display_number,
            quote.issue_date.isoformat(),
            "TOPUP-7",
            "600.00",
            "720.00",
            quote.valid_until.isoformat(),
        ],
    ]


def test_open_quotes_is_one_query(account, django_assert_num_queries):
    for _i in range(3):
        issue_quote(account, LINES)
    with django_assert_num_queries(1):
        assert len([quote.expiry for quote in open_quotes(account)]) == 3
