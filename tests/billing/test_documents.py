"""Issuing documents (ACCT-1, ACCT-2, ACCT-3): numbering, copies, totals, immutability,
credit notes, payments and quotes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from billing.models import (
    AppendOnlyError,
    BillingProfile,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    ImmutableDocumentError,
)
from billing.services import documents as docs
from billing.services.documents import (
    DocumentError,
    LineInput,
    credited_total,
    expire_quotes,
    issue_credit_note,
    issue_delivery_note,
    issue_invoice,
    issue_quote,
    mark_paid,
    sign_quote,
)

D = Decimal
LINES = [LineInput("SSL OV – 1 year", 2, D("120.00")), LineInput("Additional SAN", 1, D("30.05"))]


def year() -> int:
    return timezone.localdate().year


def set_buyer(account, country: str, vat_number: str = "") -> None:
    holder = account.holder
    holder.country, holder.vat_number = country, vat_number
    holder.save()


@pytest.mark.django_db
class TestIssue:
    def test_invoice_numbers_follow_each_other_per_series(self, account, owner):
        first = issue_invoice(account, LINES, reference="CP0001", by=owner)
        second = issue_invoice(account, LINES, reference="CP0002", by=owner)
        quote = issue_quote(account, LINES, by=owner)
        assert (first.display_number, second.display_number) == (f"F{year()}-000001", f"F{year()}-000002")
        assert quote.display_number == f"D{year()}-000001"
        assert first.kind == DocumentKind.INVOICE and first.status == DocumentStatus.ISSUED
        assert first.created_by == owner and first.source_reference == "CP0001"

    def test_totals_and_lines(self, account):
        invoice = issue_invoice(account, LINES)
        assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
            D("270.05"),
            D("54.01"),
            D("324.06"),
        )
        lines = list(
            invoice.lines.values_list("position", "quantity", "unit_price", "vat_rate", "total_excl_vat")
        )
        assert lines == [
            (1, D("2"), D("120.00"), D("20.00"), D("240.00")),
            (2, D("1"), D("30.05"), D("20.00"), D("30.05")),
        ]
        assert invoice.currency == "EUR" and invoice.vat_mention == ""

    def test_buyer_and_seller_are_copied_at_issue(self, account, settings):
        settings.BILLING_SELLER = {"name": "TBS Test", "siren": "732829320", "vat_number": "FR40732829320"}
        invoice = issue_invoice(account, LINES)
        holder = account.holder
        assert (invoice.buyer_name, invoice.buyer_registration_number, invoice.buyer_vat_number) == (
            holder.name,
            holder.registration_number,
            holder.vat_number,
        )
        assert (
            invoice.buyer_address,
            invoice.buyer_postal_code,
            invoice.buyer_city,
            invoice.buyer_country,
        ) == ("1 rue de la Paix", "75002", "Paris", "FR")
        assert invoice.seller["name"] == "TBS Test" and invoice.seller["siren"] == "732829320"
        assert invoice.seller["city"] == "Caen"  # a default kept
        holder.name = "Renamed Ltd"
        holder.save()
        settings.BILLING_SELLER = {"name": "Someone else"}
        invoice.refresh_from_db()
        assert invoice.buyer_name == "Acme Hosting" and invoice.seller["name"] == "TBS Test"

    def test_reverse_charge_for_an_eu_business(self, account):
        set_buyer(account, "DE", "DE136695976")
        invoice = issue_invoice(account, LINES)
        assert (invoice.total_vat, invoice.total_incl_vat) == (D("0.00"), D("270.05"))
        assert invoice.vat_mention == "Reverse charge – article 196 of Council Directive 2006/112/EC"

    def test_eu_buyer_without_vat_number_pays_french_vat(self, account):
        set_buyer(account, "DE", "")
        invoice = issue_invoice(account, LINES)
        assert invoice.total_vat == D("54.01") and invoice.vat_mention == ""

    def test_outside_the_eu(self, account):
        set_buyer(account, "US")
        invoice = issue_invoice(account, LINES)
        assert invoice.total_vat == D("0.00")
        assert invoice.vat_mention == "VAT not applicable – article 259-1 of the French General Tax Code"

    def test_due_date_from_the_default_the_profile_or_the_caller(self, account, settings):
        today = timezone.localdate()
        assert issue_invoice(account, LINES).due_date == today + datetime.timedelta(days=30)
        settings.BILLING_PAYMENT_TERM_DAYS = 15
        assert issue_invoice(account, LINES).due_date == today + datetime.timedelta(days=15)
        BillingProfile.objects.update_or_create(account=account, defaults={"payment_term_days": 45})
        assert issue_invoice(account, LINES).due_date == today + datetime.timedelta(days=45)
        assert issue_invoice(account, LINES, due_days=0).due_date == today
        with pytest.raises(DocumentError):
            issue_invoice(account, LINES, due_days=61)

    def test_an_invoice_paid_at_order_time(self, account):
        invoice = issue_invoice(account, LINES, paid=True, payment_reference="card 1234")
        assert invoice.status == DocumentStatus.PAID and invoice.paid_at is not None
        assert invoice.due_date == invoice.issue_date and invoice.payment_terms.startswith("Paid on")

    def test_document_language_is_the_accounts(self, account):
        account.language = "fr"
        account.save()
        assert issue_invoice(account, LINES).language == "fr"
        account.language = "xx"
        account.save()
        assert issue_invoice(account, LINES).language == "en"

    def test_every_issue_is_audited(self, account, owner):
        invoice = issue_invoice(account, LINES, reference="CP0001", by=owner)
        event = AuditEvent.objects.get(action="billing.invoice_issued")
        assert event.user == owner and event.account == account and event.object_id == invoice.public_id
        assert (
            event.details["number"] == invoice.display_number and event.details["total_incl_vat"] == "324.06"
        )

    @pytest.mark.parametrize(
        "lines",
        [
            [],
            [LineInput("", 1, D("1"))],
            [LineInput("X", 0, D("1"))],
            [LineInput("X", 1, D("1.001"))],
            [LineInput("X", 1, "abc")],  # type: ignore[arg-type]  # refused at run time: the point
            [LineInput("X", 1, D("1"), vat_rate=D("100"))],
            [LineInput("X", 1, D("10")), LineInput("Discount", 1, D("-20"))],
        ],
    )
    def test_bad_lines_are_refused_and_take_no_number(self, account, lines):
        with pytest.raises(DocumentError):
            issue_invoice(account, lines)
        assert not Document.objects.exists()
        assert issue_invoice(account, LINES).number == 1

    def test_a_discount_line_is_allowed(self, account):
        invoice = issue_invoice(account, [LineInput("X", 1, D("100")), LineInput("Promo code", 1, D("-20"))])
        assert invoice.total_excl_vat == D("80.00")

    def test_an_account_without_holder_cannot_be_billed(self, account):
        holder = account.holder
        type(holder).objects.filter(pk=holder.pk).update(is_account_holder=False)
        with pytest.raises(DocumentError):
            issue_invoice(account, LINES)

    def test_a_failure_while_issuing_gives_the_number_back(self, account, monkeypatch):
        def broken(document):
            raise RuntimeError("renderer down")

        monkeypatch.setattr(docs, "render_document_pdf", broken)
        with pytest.raises(RuntimeError):
            issue_invoice(account, LINES)
        monkeypatch.undo()
        assert not Document.objects.exists()
        assert issue_invoice(account, LINES).display_number == f"F{year()}-000001"

    def test_delivery_note(self, account):
        note = issue_delivery_note(
            account, [LineInput("SSL OV certificate for www.acme.test", 1)], reference="CP9"
        )
        assert note.display_number == f"BL{year()}-000001"
        assert note.status == DocumentStatus.ISSUED and note.total_incl_vat == D("0.00")


@pytest.mark.django_db
class TestImmutability:
    def test_content_cannot_change(self, account):
        invoice = issue_invoice(account, LINES)
        for field, value in [
            ("total_incl_vat", D("1.00")),
            ("buyer_name", "Other"),
            ("number", 99),
            ("issue_date", datetime.date(2000, 1, 1)),
            ("seller", {"name": "x"}),
        ]:
            document = Document.objects.get(pk=invoice.pk)
            setattr(document, field, value)
            with pytest.raises(ImmutableDocumentError):
                document.save()
        invoice.refresh_from_db()
        assert invoice.total_incl_vat == D("324.06")

    def test_the_pdf_cannot_be_replaced(self, account):
        invoice = issue_invoice(account, LINES)
        invoice.pdf = b"%PDF-forged"
        with pytest.raises(ImmutableDocumentError):
            invoice.save()
        with pytest.raises(ImmutableDocumentError):
            invoice.save(update_fields=["pdf"])

    def test_state_fields_may_change(self, account):
        invoice = issue_invoice(account, LINES)
        invoice.status = DocumentStatus.PAID
        invoice.payment_reference = "transfer"
        invoice.save()
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.PAID

    def test_documents_and_lines_cannot_be_deleted_or_changed(self, account):
        invoice = issue_invoice(account, LINES)
        with pytest.raises(ImmutableDocumentError):
            invoice.delete()
        with pytest.raises(AppendOnlyError):
            Document.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            Document.objects.filter(pk=invoice.pk).update(total_incl_vat=0)
        line = invoice.lines.first()
        line.unit_price = D("1")
        with pytest.raises(ImmutableDocumentError):
            line.save()
        with pytest.raises(ImmutableDocumentError):
            line.delete()
        with pytest.raises(AppendOnlyError):
            DocumentLine.objects.all().delete()
        with pytest.raises(ImmutableDocumentError):
            DocumentLine.objects.create(
                document=invoice,
                position=9,
                description="extra",
                quantity=1,
                unit_price=D("1"),
                vat_rate=D("20"),
                total_excl_vat=D("1"),
            )
        assert invoice.lines.count() == 2


@pytest.mark.django_db
class TestCreditNotes:
    def test_a_full_credit_note_negates_the_invoice_and_cancels_it(self, account, owner):
        invoice = issue_invoice(account, LINES, reference="CP0001")
        note = issue_credit_note(invoice, reason="Order cancelled", by=owner)
        assert note.display_number == f"AV{year()}-000001" and note.kind == DocumentKind.CREDIT_NOTE
        assert note.related_document == invoice and note.source_reference == "CP0001"
        assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
            -invoice.total_excl_vat,
            -invoice.total_vat,
            -invoice.total_incl_vat,
        )
        assert [line.total_excl_vat for line in note.lines.all()] == [D("-240.00"), D("-30.05")]
        assert note.reason == "Order cancelled" and note.buyer_name == invoice.buyer_name
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.CANCELLED
        assert AuditEvent.objects.filter(action="billing.credit_note_issued").count() == 1
        assert AuditEvent.objects.filter(action="billing.invoice_cancelled").count() == 1
        with pytest.raises(DocumentError):
            issue_credit_note(invoice, reason="again")

    def test_a_partial_credit_note_keeps_the_invoice_due(self, account):
        invoice = issue_invoice(account, LINES)
        note = issue_credit_note(
            invoice, [LineInput("Additional SAN removed", 1, D("30.05"))], reason="SAN removed"
        )
        assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
            D("-30.05"),
            D("-6.01"),
            D("-36.06"),
        )
        assert credited_total(invoice) == D("36.06")
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.ISSUED
        with pytest.raises(DocumentError):
            issue_credit_note(invoice, [LineInput("Too much", 1, D("240.01"))], reason="x")
        issue_credit_note(invoice, [LineInput("Rest", 2, D("120.00"))], reason="cancelled")
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.CANCELLED

    def test_a_reverse_charge_invoice_is_credited_with_its_mention(self, account):
        set_buyer(account, "DE", "DE136695976")
        invoice = issue_invoice(account, LINES)
        set_buyer(account, "FR", "")
        note = issue_credit_note(invoice, reason="cancelled")
        assert note.total_vat == D("0.00") and note.vat_mention == invoice.vat_mention
        assert note.buyer_country == "DE"

    def test_refusals(self, account):
        invoice = issue_invoice(account, LINES)
        quote = issue_quote(account, LINES)
        with pytest.raises(DocumentError):
            issue_credit_note(invoice, reason=" ")
        with pytest.raises(DocumentError):
            issue_credit_note(quote, reason="no")
        with pytest.raises(DocumentError):
            issue_credit_note(invoice, [LineInput("Negative", 1, D("-5"))], reason="no")
        assert not Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()


@pytest.mark.django_db
class TestPaymentAndQuotes:
    def test_mark_paid_is_idempotent_and_audited(self, account, staff):
        invoice = issue_invoice(account, LINES)
        paid = mark_paid(invoice, staff, payment_reference="VIR 42")
        assert paid.status == DocumentStatus.PAID and paid.payment_reference == "VIR 42"
        again = mark_paid(invoice, staff, payment_reference="other")
        assert again.paid_at == paid.paid_at and again.payment_reference == "VIR 42"
        events = AuditEvent.objects.filter(action="billing.invoice_paid")
        assert events.count() == 1 and events.get().is_staff_action

    def test_only_issued_invoices_can_be_paid(self, account):
        quote = issue_quote(account, LINES)
        with pytest.raises(DocumentError):
            mark_paid(quote)
        invoice = issue_invoice(account, LINES)
        issue_credit_note(invoice, reason="cancelled")
        with pytest.raises(DocumentError):
            mark_paid(invoice)

    def test_overdue(self, account):
        invoice = issue_invoice(account, LINES, due_days=0)
        assert not invoice.is_overdue
        Document._base_manager.filter(pk=invoice.pk).update(
            due_date=timezone.localdate() - datetime.timedelta(days=1)
        )
        invoice.refresh_from_db()
        assert invoice.is_overdue

    def test_a_quote_is_open_then_signed(self, account, owner, settings):
        settings.BILLING_QUOTE_VALIDITY_DAYS = 10
        quote = issue_quote(account, LINES)
        assert quote.status == DocumentStatus.OPEN
        assert quote.valid_until == timezone.localdate() + datetime.timedelta(days=10)
        signed = sign_quote(quote, owner)
        assert signed.status == DocumentStatus.SIGNED and signed.signed_at is not None
        assert sign_quote(quote, owner).signed_at == signed.signed_at
        assert AuditEvent.objects.filter(action="billing.quote_signed").count() == 1

    def test_quotes_expire(self, account):
        old = issue_quote(account, LINES)
        fresh = issue_quote(account, LINES)
        Document._base_manager.filter(pk=old.pk).update(
            valid_until=timezone.localdate() - datetime.timedelta(days=1)
        )
        assert expire_quotes() == 1
        old.refresh_from_db()
        fresh.refresh_from_db()
        assert (old.status, fresh.status) == (DocumentStatus.EXPIRED, DocumentStatus.OPEN)
        with pytest.raises(DocumentError):
            sign_quote(old)
        assert expire_quotes() == 0
