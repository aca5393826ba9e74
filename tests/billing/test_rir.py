"""ACCT-6: late-payment statements (RIR): penalties at three times the legal rate pro rata of the
days late plus the fixed 40 EUR indemnity, gapless RIR numbers, the PDF, the cash-only
restriction and its lifting, the /accounting/late-payments/ page and the back office."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from accounts.models import AuditEvent
from billing.models import (
    AppendOnlyError,
    BillingProfile,
    LatePaymentStatement,
    PaymentMode,
    StatementStatus,
)
from billing.services import documents as document_services
from billing.services import late_payment
from billing.services.documents import LineInput, issue_credit_note, issue_invoice, mark_paid
from billing.services.late_payment import (
    LatePaymentError,
    abandon_statement,
    allowed_payment_modes,
    cash_only,
    create_late_payment_statements,
    issue_statement,
    mark_statement_paid,
    penalties,
)
from billing.tasks import late_payment_statements
from tests.support.billing_money import fake_pdf, on, set_administrative_contact

D = Decimal
URL = "/accounting/late-payments/"
LINES = [LineInput("SSL OV – 1 year", 1, D("1000.00"))]  # 1,200.00 incl. VAT
pytestmark = pytest.mark.django_db


RENDER_STATEMENT_PDF = late_payment.render_statement_pdf


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    """Small fake PDFs; the PDF test puts WeasyPrint back for the statement."""
    monkeypatch.setattr(document_services, "render_document_pdf", fake_pdf)
    monkeypatch.setattr(late_payment, "render_statement_pdf", fake_pdf)


def overdue_invoice(account, days_late: int = 30, lines=LINES):
    """An invoice issued 30 days before its due date, `days_late` days ago."""
    with on(timezone.localdate() - datetime.timedelta(days=30 + days_late)):
        return issue_invoice(account, lines, due_days=30, reference="CP0001")


def number(n: int) -> str:
    return f"RIR{timezone.localdate().year}-{n:06d}"


# Computation and issue --------------------------------------------------------------------------


def test_penalties_are_three_times_the_legal_rate_pro_rata():
    assert penalties(D("1200.00"), 30, D("3.71")) == (D("11.13"), D("10.98"))  # 1200 × 11.13 % × 30 / 365
    assert penalties(D("1200.00"), 365, D("3.71")) == (D("11.13"), D("133.56"))
    assert penalties(D("1200.00"), 0, D("3.71"))[1] == D("0.00")


def test_a_statement_for_an_overdue_invoice(account, mailoutbox, django_capture_on_commit_callbacks):
    contact = set_administrative_contact(account)
    invoice = overdue_invoice(account, days_late=30)
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue_statement(invoice)
    assert statement.display_number == number(1)
    assert (statement.invoice, statement.days_late, statement.amount_due) == (invoice, 30, D("1200.00"))
    assert (statement.legal_interest_rate, statement.penalty_rate) == (D("3.71"), D("11.13"))
    assert (statement.penalties, statement.indemnity, statement.total) == (D("10.98"), D("40.00"), D("50.98"))
    assert statement.status == StatementStatus.AWAITING_PAYMENT
    assert bytes(statement.pdf).startswith(b"%PDF")
    assert cash_only(account)
    assert allowed_payment_modes(account, PaymentMode.values) == [PaymentMode.CARD, PaymentMode.TRANSFER]
    assert AuditEvent.objects.filter(action="late_payment.statement_issued").count() == 1
    assert AuditEvent.objects.filter(action="billing.cash_only_set").count() == 1
    [mail] = mailoutbox
    assert mail.to == [contact.email]
    assert statement.display_number in mail.subject and invoice.display_number in mail.subject
    assert "only be paid by card or bank transfer" in mail.body
    # Idempotent: the same invoice never gets a second statement.
    assert issue_statement(invoice).pk == statement.pk
    assert LatePaymentStatement.objects.count() == 1


def test_the_legal_rate_is_a_setting(account, settings):
    settings.BILLING_LEGAL_INTEREST_RATE = "4.00"
    statement = issue_statement(overdue_invoice(account, days_late=73))
    assert (statement.penalty_rate, statement.penalties) == (D("12.00"), D("28.80"))  # 1200 × 12 % × 73 / 365


def test_a_partial_credit_note_lowers_the_amount_due(account):
    invoice = overdue_invoice(account)
    issue_credit_note(invoice, [LineInput("SSL OV – 1 year", 1, D("500.00"))], reason="Half cancelled")
    assert issue_statement(invoice).amount_due == D("600.00")


def test_a_partial_payment_received_lowers_the_amount_due(account, staff):
    """Penalties run on what is still due: the part received by transfer is not late."""
    from billing.services.receipts import record_receipt

    invoice = overdue_invoice(account)
    record_receipt(
        invoice, amount="200.00", received_on=invoice.issue_date, method="transfer", reference="V1", by=staff
    )
    statement = issue_statement(invoice)
    assert statement.amount_due == D("1000.00")
    assert statement.penalties == late_payment.penalties(D("1000.00"), 30, statement.legal_interest_rate)[1]


def test_refusals(account):
    with pytest.raises(LatePaymentError, match="not overdue"):
        issue_statement(issue_invoice(account, LINES, due_days=30))
    paid = overdue_invoice(account)
    mark_paid(paid)
    with pytest.raises(LatePaymentError, match="unpaid invoice"):
        issue_statement(paid)
    with pytest.raises(LatePaymentError, match="unpaid invoice"):
        issue_statement(issue_invoice(account, LINES, paid=True))
    assert not LatePaymentStatement.objects.exists()
    assert not cash_only(account)


def test_a_statement_never_changes(account):
    statement = issue_statement(overdue_invoice(account))
    statement.total = D("1.00")
    with pytest.raises(AppendOnlyError):
        statement.save()
    with pytest.raises(AppendOnlyError):
        statement.delete()
    with pytest.raises(AppendOnlyError):
        LatePaymentStatement.objects.filter(pk=statement.pk).update(total=D("1.00"))


# Lifting ----------------------------------------------------------------------------------------


def test_paying_the_last_statement_lifts_cash_only(account, staff):
    first = issue_statement(overdue_invoice(account, days_late=40))
    second = issue_statement(overdue_invoice(account, days_late=10))
    assert second.display_number == number(2)
    mark_statement_paid(first, staff, payment_reference="VIR-1")
    assert cash_only(account)  # the second still awaits payment
    abandon_statement(second, staff)
    assert not cash_only(account)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.payment_reference, first.closed_by) == (StatementStatus.PAID, "VIR-1", staff)
    assert second.status == StatementStatus.ABANDONED
    assert AuditEvent.objects.get(action="billing.cash_only_lifted").user == staff
    assert first.invoice.status == "issued"  # paying the statement does not pay the invoice
    # Idempotent; a closed statement cannot take the other state.
    mark_statement_paid(first, staff)
    with pytest.raises(LatePaymentError, match="already closed"):
        abandon_statement(first, staff)


# The job ----------------------------------------------------------------------------------------


def test_the_job_issues_each_statement_once(account, other_account):
    late = overdue_invoice(account, days_late=5)
    theirs = overdue_invoice(other_account, days_late=15)
    issue_invoice(account, LINES, due_days=30)  # not due yet
    paid = overdue_invoice(account, days_late=5)
    mark_paid(paid)
    credited = overdue_invoice(account, days_late=5)
    issue_credit_note(credited, reason="Cancelled")
    assert late_payment_statements.delay().get() == 2
    assert late_payment_statements.delay().get() == 0
    assert create_late_payment_statements() == 0
    assert set(LatePaymentStatement.objects.values_list("invoice", flat=True)) == {late.pk, theirs.pk}
    assert cash_only(account) and cash_only(other_account)
    # Numbers follow the invoices' due dates, gapless.
    assert LatePaymentStatement.objects.get(invoice=theirs).display_number == number(1)
    assert LatePaymentStatement.objects.get(invoice=late).display_number == number(2)


def test_the_job_leaves_cash_invoices_due_on_their_issue_day(account):
    """Guide 10.5: a statement is for an invoice in deferred payment; an invoice due at once (paid
    by card, cheque or transfer at order time) is not late payment: its order waits for it."""
    with on(timezone.localdate() - datetime.timedelta(days=40)):
        cash = issue_invoice(account, LINES, due_days=0, reference="CP0009")
    deferred = overdue_invoice(account)
    assert create_late_payment_statements() == 1
    assert LatePaymentStatement.objects.get().invoice == deferred
    assert not LatePaymentStatement.objects.filter(invoice=cash).exists()


def test_the_job_on_a_given_day(account):
    invoice = overdue_invoice(account, days_late=0)  # due today
    assert late_payment_statements.delay(timezone.localdate().isoformat()).get() == 0
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert late_payment_statements.delay(tomorrow.isoformat()).get() == 1
    assert LatePaymentStatement.objects.get(invoice=invoice).days_late == 1


# PDF --------------------------------------------------------------------------------------------


def test_the_pdf_reads_back_with_its_legal_content(account, settings, monkeypatch):
    monkeypatch.setattr(late_payment, "render_statement_pdf", RENDER_STATEMENT_PDF)
    settings.BILLING_SELLER = {
        "name": "TBS Test",
        "siren": "732829320",
        "vat_number": "FR40732829320",
        "iban": "FR76 1234",
    }
    invoice = overdue_invoice(account, days_late=30)
    statement = issue_statement(invoice)
    reader = PdfReader(io.BytesIO(bytes(statement.pdf)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in [
        f"Late-payment statement {statement.display_number}",
        "TBS Test",
        "SIREN: 732829320",
        "VAT number: FR40732829320",
        account.holder.name,
        f"Organisation number (SIREN): {account.holder.registration_number}",
        f"Issue date {date_format(statement.issue_date, 'DATE_FORMAT')}",
        f"Invoice {invoice.display_number}",
        f"Invoice due date {date_format(invoice.due_date, 'DATE_FORMAT')}",
        "Days late 30",
        f"Amount still due on invoice {invoice.display_number} (incl. VAT), for information 1,200.00 €",
        "three times the legal interest rate (3.71 %), that is 11.13 % a year, for 30 days 10.98 €",
        "Fixed indemnity for recovery costs (article D441-5 of the French Commercial Code) 40.00 €",
        "Total due on this statement 50.98 €",
        "not subject to VAT",
        "articles L441-10 and D441-5 of the French Commercial Code",
        "IBAN FR76 1234",
        "can only be paid in cash (card or bank transfer)",
    ]:
        assert expected in text, expected


# Page -------------------------------------------------------------------------------------------


def test_the_page_lists_and_filters_statements(client, billing, account, other_account, staff):
    awaiting = issue_statement(overdue_invoice(account, days_late=20))
    paid = mark_statement_paid(issue_statement(overdue_invoice(account, days_late=10)), staff)
    theirs = issue_statement(overdue_invoice(other_account))
    client.force_login(billing)
    response = client.get(URL)
    page = response.content.decode()
    assert {row.record.pk for row in response.context["table"].page.object_list} == {awaiting.pk, paid.pk}
    assert theirs.display_number not in page
    assert 'data-testid="cash-only"' in page
    assert reverse("billing:late_payment_pdf", args=[awaiting.public_id]) in page
    response = client.get(URL, {"state": "paid"})
    assert [row.record.pk for row in response.context["table"].page.object_list] == [paid.pk]
    response = client.get(URL, {"state": "awaiting_payment"})
    assert [row.record.pk for row in response.context["table"].page.object_list] == [awaiting.pk]
    assert "Select a valid choice" in client.get(URL, {"state": "nope"}).content.decode()


def test_no_banner_without_an_unpaid_statement(client, billing, account, staff):
    abandon_statement(issue_statement(overdue_invoice(account)), staff)
    client.force_login(billing)
    assert 'data-testid="cash-only"' not in client.get(URL).content.decode()


def test_pdf_download(client, billing, account, outsider):
    statement = issue_statement(overdue_invoice(account))
    client.force_login(billing)
    response = client.get(reverse("billing:late_payment_pdf", args=[statement.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == bytes(statement.pdf)
    assert f'filename="{statement.display_number}.pdf"' in response["Content-Disposition"]
    client.force_login(outsider)
    assert client.get(reverse("billing:late_payment_pdf", args=[statement.public_id])).status_code == 404


def test_it_refuses_a_user_without_the_billing_right(client, tech, account):
    statement = issue_statement(overdue_invoice(account))
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:late_payments_csv")).status_code == 403
    assert client.get(reverse("billing:late_payment_pdf", args=[statement.public_id])).status_code == 403


def test_csv_export(client, billing, account):
    statement = issue_statement(overdue_invoice(account))
    client.force_login(billing)
    lines = b"".join(client.get(reverse("billing:late_payments_csv")).streaming_content).decode().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Number,Date,Invoice,Invoice due date,Days late")
    assert lines[1].startswith(f"{statement.display_number},") and "50.98" in lines[1]


# Back office ------------------------------------------------------------------------------------


def test_staff_record_payment_and_abandon(client, staff, account):
    first = issue_statement(overdue_invoice(account, days_late=20))
    second = issue_statement(overdue_invoice(account, days_late=10))
    client.force_login(staff)
    changelist = reverse("admin:billing_latepaymentstatement_changelist")
    page = client.get(changelist).content.decode()
    assert first.display_number in page
    assert reverse("admin:billing_latepaymentstatement_pdf", args=[first.pk]) in page
    client.post(changelist, {"action": "mark_paid_action", "_selected_action": [first.pk]})
    client.post(changelist, {"action": "abandon_action", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (StatementStatus.PAID, StatementStatus.ABANDONED)
    assert not BillingProfile.objects.get(account=account).late_payment_block
    for action in (
        "late_payment.statement_paid",
        "late_payment.statement_abandoned",
        "billing.cash_only_lifted",
    ):
        event = AuditEvent.objects.get(action=action)
        assert event.user == staff and event.is_staff_action
    response = client.get(reverse("admin:billing_latepaymentstatement_pdf", args=[first.pk]))
    assert response.content == bytes(first.pdf)
    assert (
        client.get(reverse("admin:billing_latepaymentstatement_change", args=[first.pk])).status_code == 200
    )
