"""Dates and numbers follow the user's language (issue 8 point 13): French 04/12/2026 and 18,43 €,
English 4 Dec 2026; one format per kind of date on pages, in emails and in PDFs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from accounts.formatting import amount_text, date_text, datetime_text
from billing.models import DocumentKind
from orders.models import OrderStatus
from orders.services.issuing import send_delivery_email
from tests.orders.test_order_payment import confirm, documents, pdf_text, review_token, the_order
from tests.support.delivered import deliver
from tests.support.orders import make_order

DAY = date(2026, 12, 4)


def test_english_dates_are_unambiguous_and_french_dates_are_day_first():
    with translation.override("en"):
        assert date_format(DAY, "DATE_FORMAT") == date_format(DAY, "SHORT_DATE_FORMAT") == "4 Dec 2026"
        assert datetime_text(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)) == "4 Dec 2026, 18:30"
        assert amount_text(Decimal("1234.5")) == "1,234.50"
    with translation.override("fr"):
        assert date_format(DAY, "DATE_FORMAT") == date_format(DAY, "SHORT_DATE_FORMAT") == "04/12/2026"
        assert date_text(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == "05/12/2026"  # Paris time
        assert amount_text(Decimal("18.43")) == "18,43"
        assert amount_text(Decimal("1234.5")) == "1\u202f234,50"


@pytest.mark.django_db
def test_pages_use_the_users_date_format(client, tech, account, product):
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    client.force_login(tech)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    with translation.override("fr"):
        assert date_text(certificate.not_after) in page
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", page)
    listing = client.get(reverse("orders:list")).content.decode()
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", listing)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    with translation.override("en"):
        assert date_text(certificate.not_after) in page
    assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", page)


@pytest.mark.django_db
def test_the_delivery_email_dates_follow_the_accounts_language(
    account, product, django_capture_on_commit_callbacks, mailoutbox
):
    account.language = "fr"
    account.save(update_fields=["language"])
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    with django_capture_on_commit_callbacks(execute=True):
        send_delivery_email(order, certificate)
    with translation.override("fr"):
        assert date_text(certificate.not_after) in mailoutbox[0].body
    assert certificate.not_after.date().isoformat() not in mailoutbox[0].body


@pytest.mark.django_db
def test_a_french_confirmation_email_and_invoice_read_french_amounts_and_dates(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    account.language = "fr"
    account.save(update_fields=["language"])
    client.force_login(tech)
    token = review_token(client, account, product)
    confirm(client, token, django_capture_on_commit_callbacks, method="transfer")
    order = the_order()
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert "150,00 € HT" in mail.body and "180,00 € TTC" in mail.body
    [invoice] = documents(order, DocumentKind.INVOICE)
    with translation.override("fr"):
        assert date_text(invoice.issue_date) in pdf_text(invoice)
