"""Emails write days and amounts in the language they are read in (issue 8 point 13): French
04/12/2026 and 1 200,00, English 4 Dec 2026 and 1,200.00, never an ISO date such as 2026-12-04.

An email's context is JSON and is rendered once per language (the recipient's, and a contact point
reading another language, ADM-6), so it holds ISO days and decimal strings and the templates write
them with the `day_text` / `amount_text` filters (accounts/templatetags/localized.py). Each email
that prints a day or an amount is rendered here in French and in English; the billing robots and
the expiry reminder also go through their services.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.formatting import date_text
from accounts.mail import render_email
from accounts.models import Account
from billing.models import BillingProfile
from billing.services import documents as document_services
from billing.services import late_payment
from billing.services.alerts import check_account
from billing.services.documents import LineInput, issue_invoice
from billing.services.late_payment import issue_statement
from billing.services.ledger import credit_euros, debit_euros
from monitoring import reasons
from orders.tasks_robots import expiry_reminders
from tests.factories import make_product
from tests.support.billing_money import fake_pdf, on, set_administrative_contact
from tests.support.robots import dated_order

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DAY = datetime.date(2026, 12, 4)
WRITTEN = {"fr": "04/12/2026", "en": "4 Dec 2026"}
THOUSAND_TWO_HUNDRED = {"fr": "1\u202f200,00", "en": "1,200.00"}
LANGUAGES = ["fr", "en"]


def parts(subject: str, text: str, html: str) -> dict[str, str]:
    return {"subject": subject, "text": text, "html": html}


def assert_no_iso_day(where: str, **texts: str) -> None:
    for part, text in texts.items():
        found = ISO_DAY.search(text)
        assert found is None, f"{where} ({part}) prints the ISO date {found.group(0) if found else ''}"


def mail_parts(message) -> dict[str, str]:
    html = next((body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"), "")
    return parts(message.subject, message.body, html)


# Every email template that prints a day or an amount, with the context its service builds ----------

EMAILS = {
    "late_payment_statement": (
        {
            "contact_name": "Alice",
            "account_name": "Acme",
            "number": "RIR2026-000001",
            "invoice": "FA2026-000001",
            "due_date": DAY.isoformat(),
            "total": "50.98",
            "amount_due": "1200.00",
            "url": "https://portal.example.test/accounting/late-payments/",
        },
        ["text", "html"],
        True,
    ),
    "low_balance_alert": (
        {
            "contact_name": "Alice",
            "account_name": "Acme",
            "formula": "current",
            "balance": "1200.00",
            "threshold": "1500.00",
            "products": [],
            "url": "https://portal.example.test/account/statements/",
        },
        ["text", "html"],
        False,
    ),
    "expiry_reminder": (
        {
            "contact_name": "Alice",
            "reference": "CP0001",
            "common_name": "www.acme.test",
            "product": "SSL OV",
            "days": 25,
            "end": DAY.isoformat(),
            "status_url": "https://portal.example.test/orders/CP0001/",
        },
        ["text", "html"],
        True,
    ),
    "acceptance_warning": (
        {
            "contact_name": "Alice",
            "reference": "CP0001",
            "common_name": "www.acme.test",
            "serial": "0A1B",
            "deadline": DAY.isoformat(),
            "status_url": "https://portal.example.test/orders/CP0001/",
        },
        ["subject", "text", "html"],
        True,
    ),
    "reissue_recommended": (
        {
            "account": "Acme",
            "entries": [
                {
                    "reference": "CP0001",
                    "common_name": "www.acme.test",
                    "due": DAY.isoformat(),
                    "certificate_end": DAY.isoformat(),
                    "reason": "Shorter certificates",
                    "status_url": "https://portal.example.test/orders/CP0001/",
                }
            ],
            "list_url": "https://portal.example.test/operations/reissue/recommended/",
        },
        ["text", "html"],
        True,
    ),
    "order_delivered": (
        {
            "contact_name": "Alice",
            "reference": "CP0001",
            "common_name": "www.acme.test",
            "names": ["www.acme.test"],
            "product": "SSL OV",
            "serial": "0A1B",
            "not_before": "2026-12-04T09:00:00+00:00",
            "not_after": "2027-12-04T09:00:00+00:00",
            "status_url": "https://portal.example.test/orders/CP0001/",
        },
        ["text", "html"],
        True,
    ),
    "order_reissued": (
        {
            "contact_name": "Alice",
            "reference": "CP0001",
            "common_name": "www.acme.test",
            "names": ["www.acme.test"],
            "product": "SSL OV",
            "reason": "Lost key",
            "serial": "0A1B",
            "not_before": "2026-12-04T09:00:00+00:00",
            "not_after": "2027-12-04T09:00:00+00:00",
            "status_url": "https://portal.example.test/orders/CP0001/",
        },
        ["text", "html"],
        True,
    ),
    "topup_document": (
        {
            "account_name": "Acme",
            "topup": "TU0001",
            "number": "FA2026-000002",
            "is_quote": False,
            "total_incl_vat": "1200.00",
            "payment_mode": "transfer",
            "kind": "euros",
        },
        ["text", "html"],
        False,
    ),
    "coupon_refund_request": (
        {
            "account_name": "Acme",
            "number": "CA2026-000001",
            "amount": "1200.00",
            "origin": "CP0001",
            "requested_by": "Alice",
            "admin_url": "https://portal.example.test/staff/",
        },
        ["text", "html"],
        False,
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(EMAILS))
def test_each_email_writes_days_and_amounts_in_its_language(settings, template, language):
    settings.SITE_URL = "https://portal.example.test"
    context, written_in, has_day = EMAILS[template]
    texts = parts(*render_email(template, context, language))
    assert_no_iso_day(f"{template} in {language}", **texts)
    for part in written_in:
        if has_day:
            assert WRITTEN[language] in texts[part], (template, part, texts[part])
        else:
            assert THOUSAND_TWO_HUNDRED[language] in texts[part], (template, part, texts[part])


def test_the_filters_leave_other_values_alone():
    from accounts.templatetags.localized import amount_text, day_text

    with translation.override("fr"):
        assert day_text("2026-12-04") == "04/12/2026"
        assert day_text("2026-12-04T23:30:00+00:00") == "05/12/2026"  # a moment: the portal's day
        assert day_text(DAY) == "04/12/2026"
        assert day_text("2026-12-04 10:00 UTC") == "04/12/2026"  # installation tests store this form
        assert day_text("not a date") == "not a date" and day_text(None) is None
        assert amount_text("1234.5") == "1\u202f234,50" and amount_text(Decimal("18.43")) == "18,43"
        assert amount_text("") == "" and amount_text("n/a") == "n/a"


# Through the services ------------------------------------------------------------------------------


@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr(document_services, "render_document_pdf", fake_pdf)
    monkeypatch.setattr(late_payment, "render_statement_pdf", fake_pdf)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_late_payment_email(account, language, fast_pdf, mailoutbox, django_capture_on_commit_callbacks):
    Account.objects.filter(pk=account.pk).update(language=language)
    account.refresh_from_db()
    set_administrative_contact(account)
    with on(timezone.localdate() - datetime.timedelta(days=60)):
        invoice = issue_invoice(account, [LineInput("SSL OV", 1, Decimal("1000.00"))], due_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        issue_statement(invoice)
    [mail] = mailoutbox
    assert_no_iso_day("late_payment_statement", **mail_parts(mail))
    with translation.override(language):
        assert date_text(invoice.due_date) in mail.body
    assert THOUSAND_TWO_HUNDRED[language] in mail.body


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_low_balance_email(account, language, mailoutbox, django_capture_on_commit_callbacks):
    Account.objects.filter(pk=account.pk).update(language=language, formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    set_administrative_contact(account)
    BillingProfile.objects.update_or_create(account=account, defaults={"alert_threshold": Decimal("1500")})
    credit_euros(account, Decimal("2000.00"), reference="TOP-1")
    debit_euros(account, Decimal("800.00"), reference="CP0001")
    with django_capture_on_commit_callbacks(execute=True):
        assert check_account(account)
    [mail] = mailoutbox
    assert THOUSAND_TWO_HUNDRED[language] in mail.body
    assert {"fr": "1\u202f500,00", "en": "1,500.00"}[language] in mail.body


@pytest.mark.django_db
def test_the_expiry_reminder_and_its_copy_each_in_their_language(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    """The account reads English, its copy address French: each message writes the day its way."""
    Account.objects.filter(pk=account.pk).update(
        language="en", copy_email="copie@acme.test", copy_email_language="fr"
    )
    account.refresh_from_db()
    order = dated_order(
        account,
        make_product("dates-ov", reissuable=True),
        issued_days_ago=340,
        lifetime_days=365,
        common_name="soon.acme.test",
    )
    end = order.certificates.get().not_after
    with django_capture_on_commit_callbacks(execute=True):
        expiry_reminders()
    [english] = [m for m in mailoutbox if m.to != ["copie@acme.test"]]
    [french] = [m for m in mailoutbox if m.to == ["copie@acme.test"]]
    for mail, language in ((english, "en"), (french, "fr")):
        assert_no_iso_day(f"expiry_reminder in {language}", **mail_parts(mail))
        with translation.override(language):
            assert date_text(end) in mail.body, (language, mail.body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_installation_reasons_write_the_day_in_the_readers_language(language):
    """The installation-check email and page list these sentences; the day is stored once."""
    reason = reasons.warning("expires_soon", days=25, date="2026-12-04 10:00 UTC")
    with translation.override(language):
        assert WRITTEN[language] in reason.message
        assert not ISO_DAY.search(reason.message)
    old = reasons.Reason.from_json_list([{"code": "dates_ok", "level": "ok", "params": {"date": "soon"}}])
    assert "soon" in old[0].message  # a value that is no stored moment is shown as it is
