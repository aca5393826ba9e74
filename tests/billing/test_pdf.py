"""Document PDFs read back as text (PLAT-4): numbers, parties, lines, VAT per rate, totals and
the legal mentions of a French invoice."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from billing.services.documents import (
    LineInput,
    issue_credit_note,
    issue_delivery_note,
    issue_invoice,
    issue_quote,
)

D = Decimal
LINES = [LineInput("SSL OV – 1 year", 2, D("120.00")), LineInput("Additional SAN", 1, D("30.05"))]


def text_of(document) -> str:
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def set_buyer(account, country: str, vat_number: str = "") -> None:
    holder = account.holder
    holder.country, holder.vat_number = country, vat_number
    holder.save()


@pytest.mark.django_db
def test_invoice_pdf_has_the_french_legal_content(account, settings):
    settings.BILLING_SELLER = {
        "name": "TBS Test",
        "siren": "732829320",
        "vat_number": "FR40732829320",
        "iban": "FR76 1234",
        "share_capital": "50 000 EUR",
        "rcs_city": "Caen",
    }
    invoice = issue_invoice(account, LINES, reference="CPREF0001")
    text = text_of(invoice)
    holder = account.holder
    for expected in [
        f"Invoice {invoice.display_number}",
        "TBS Test",
        "SIREN: 732829320",
        "VAT number: FR40732829320",
        "share capital 50 000 EUR",
        "Trade and companies register of Caen",
        holder.name,
        f"Organisation number (SIREN): {holder.registration_number}",
        f"VAT number: {holder.vat_number}",
        "1 rue de la Paix",
        "75002 Paris",
        "Reference CPREF0001",
        "SSL OV – 1 year 2 120.00 € 20 % 240.00 €",
        "Additional SAN 1 30.05 € 20 % 30.05 €",
        "VAT 20 % 270.05 € 54.01 €",
        "Total excl. VAT 270.05 €",
        "Total VAT 54.01 €",
        "Total incl. VAT 324.06 €",
        "IBAN FR76 1234",
        "No discount for early payment.",
        "three times the French legal interest rate",
        "fixed indemnity of 40 EUR for recovery costs",
        "articles L441-10 and D441-5 of the French Commercial Code",
    ]:
        assert expected in text, expected
    assert f"Issue date {date_format(invoice.issue_date, 'DATE_FORMAT')}" in text
    assert f"Due date {date_format(invoice.due_date, 'DATE_FORMAT')}" in text
    assert "Payment due by" in text
    assert "Reverse charge" not in text and "259-1" not in text


@pytest.mark.django_db
def test_reverse_charge_pdf(account):
    set_buyer(account, "DE", "DE136695976")
    text = text_of(issue_invoice(account, LINES))
    assert "VAT 0 % 270.05 € 0.00 €" in text
    assert "Total incl. VAT 270.05 €" in text
    assert "Reverse charge – article 196 of Council Directive 2006/112/EC" in text
    assert "VAT number: DE136695976" in text


@pytest.mark.django_db
def test_export_pdf(account):
    set_buyer(account, "US")
    text = text_of(issue_invoice(account, LINES))
    assert "VAT not applicable – article 259-1 of the French General Tax Code" in text
    assert "Total VAT 0.00 €" in text


@pytest.mark.django_db
def test_several_rates_each_get_their_vat_line(account):
    invoice = issue_invoice(
        account,
        [LineInput("Certificate", 1, D("100.00")), LineInput("Book", 1, D("3.00"), vat_rate=D("5.5"))],
    )
    text = text_of(invoice)
    assert "VAT 20 % 100.00 € 20.00 €" in text
    assert "VAT 5.50 % 3.00 € 0.17 €" in text
    assert "Total incl. VAT 123.17 €" in text


@pytest.mark.django_db
def test_credit_note_pdf_refers_to_its_invoice(account):
    invoice = issue_invoice(account, LINES)
    note = issue_credit_note(invoice, reason="Order cancelled by the customer")
    text = text_of(note)
    assert f"Credit note {note.display_number}" in text
    assert f"Credited invoice {invoice.display_number}" in text
    assert "Reason Order cancelled by the customer" in text
    assert "VAT 20 % -270.05 € -54.01 €" in text
    assert "Total credited incl. VAT -324.06 €" in text


@pytest.mark.django_db
def test_quote_pdf(account):
    quote = issue_quote(account, LINES)
    text = text_of(quote)
    assert f"Quote {quote.display_number}" in text
    assert "Valid until" in text and "Total incl. VAT 324.06 €" in text
    assert "Good for agreement" in text and "signature and company stamp" in text


@pytest.mark.django_db
def test_delivery_note_pdf_shows_no_price(account):
    note = issue_delivery_note(
        account, [LineInput("SSL OV certificate for www.acme.test", 1, D("120.00"))], reference="CP0001"
    )
    text = text_of(note)
    assert f"Delivery note {note.display_number}" in text
    assert "SSL OV certificate for www.acme.test 1" in text
    assert "€" not in text and "Total" not in text


@pytest.mark.django_db
def test_pdf_is_rendered_in_the_documents_language(account):
    account.language = "fr"
    account.save()
    invoice = issue_invoice(account, LINES)
    text = text_of(invoice)
    # The portal's French formats (portal/formats/fr): day/month/year, a decimal comma.
    assert timezone.localdate().strftime("%d/%m/%Y") in text
    assert "324,06 €" in text and "324.06" not in text


@pytest.mark.django_db
def test_buyer_text_is_escaped_not_interpreted(account):
    holder = account.holder
    holder.name = "<b>Evil</b> & Co"
    holder.save()
    text = text_of(issue_invoice(account, LINES))
    assert "<b>Evil</b> & Co" in text
