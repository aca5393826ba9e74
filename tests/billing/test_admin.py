"""Billing back office (/staff/): documents and ledgers read-only, PDF download, "Record payment"."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import BillingProfile, Document, DocumentStatus
from billing.services.documents import LineInput, issue_invoice, issue_quote
from billing.services.ledger import credit_euros, credit_tokens

LINES = [LineInput("SSL OV – 1 year", 1, Decimal("120.00"))]


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.django_db
def test_document_list_shows_numbers_and_pdf_links(
    staff_client, account, other_account, django_assert_max_num_queries
):
    invoices = [issue_invoice(account, LINES), issue_invoice(other_account, LINES)]
    response = staff_client.get(reverse("admin:billing_document_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    for invoice in invoices:
        assert invoice.display_number in page
        assert reverse("admin:billing_document_pdf", args=[invoice.pk]) in page
    for _ in range(5):
        issue_invoice(account, LINES)
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse("admin:billing_document_changelist")).status_code == 200


@pytest.mark.django_db
def test_pdf_download(staff_client, account):
    invoice = issue_invoice(account, LINES)
    response = staff_client.get(reverse("admin:billing_document_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.display_number}.pdf"' in response["Content-Disposition"]
    assert response.content == bytes(invoice.pdf)
    assert (
        staff_client.get(reverse("admin:billing_document_pdf", args=[invoice.pk + 1000])).status_code == 404
    )


@pytest.mark.django_db
def test_pdf_download_needs_staff(client, owner, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(owner)
    response = client.get(reverse("admin:billing_document_pdf", args=[invoice.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_documents_are_read_only(staff_client, account):
    invoice = issue_invoice(account, LINES)
    change_url = reverse("admin:billing_document_change", args=[invoice.pk])
    page = staff_client.get(change_url)
    assert page.status_code == 200 and invoice.display_number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.post(change_url, {"buyer_name": "Forged"}).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:billing_document_delete", args=[invoice.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert staff_client.get(reverse("admin:billing_document_add")).status_code == 403
    invoice.refresh_from_db()
    assert invoice.buyer_name == "Acme Hosting"


@pytest.mark.django_db
def test_no_list_action_pays_invoices_at_once(staff_client, account):
    """ACCT-3: a payment is recorded with its amount, date and reference (tests/billing/test_receipts.py)."""
    invoice = issue_invoice(account, LINES)
    response = staff_client.post(
        reverse("admin:billing_document_changelist"),
        {"action": "record_payment", "_selected_action": [invoice.pk]},
        follow=True,
    )
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.ISSUED
    page = staff_client.get(reverse("admin:billing_document_change", args=[invoice.pk])).content.decode()
    assert reverse("admin:billing_document_receipt", args=[invoice.pk]) in page


@pytest.mark.django_db
def test_ledger_lists_are_read_only(staff_client, account, product):
    credit_tokens(account, product, 3, reference="TOP-1")
    movement = credit_euros(account, Decimal("10"), reference="TOP-1")
    for name in ("tokenmovement", "euromovement", "numbersequence"):
        assert staff_client.get(reverse(f"admin:billing_{name}_changelist")).status_code == 200
        assert staff_client.get(reverse(f"admin:billing_{name}_add")).status_code == 403
    assert "TOP-1" in staff_client.get(reverse("admin:billing_tokenmovement_changelist")).content.decode()
    url = reverse("admin:billing_euromovement_change", args=[movement.pk])
    assert staff_client.post(url, {"amount": "1000"}).status_code == 403


@pytest.mark.django_db
def test_billing_profile_change_is_audited(staff_client, account):
    profile = BillingProfile.objects.create(account=account)
    response = staff_client.post(
        reverse("admin:billing_billingprofile_change", args=[profile.pk]),
        {
            "account": account.pk,
            "payment_term_days": "45",
            "default_payment_mode": "transfer",
            "alert_threshold": "100.00",
            "late_payment_block": "on",
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.payment_term_days, profile.late_payment_block) == (45, True)
    event = AuditEvent.objects.get(action="billing.profile_changed")
    assert event.details["changed"]["payment_term_days"] == "45"
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_staff_sign_quotes_and_credit_invoices(staff_client, staff, account):
    invoice = issue_invoice(account, LINES)
    quote = issue_quote(account, LINES)
    url = reverse("admin:billing_document_changelist")
    page = staff_client.post(
        url, {"action": "sign_quotes", "_selected_action": [quote.pk, invoice.pk]}, follow=True
    ).content.decode()
    assert "1 quote signed." in page
    quote.refresh_from_db()
    assert quote.status == DocumentStatus.SIGNED
    page = staff_client.post(
        url, {"action": "credit_in_full", "_selected_action": [invoice.pk]}, follow=True
    ).content.decode()
    assert "1 credit note issued." in page
    credit = Document.objects.get(kind="credit_note", related_document=invoice)
    assert credit.total_incl_vat == -invoice.total_incl_vat
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.CANCELLED
