"""ACCT-1: invoices and credit notes by period, PDF links, a zip of a selection and the CSV."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from billing.services import documents as document_services
from billing.services.documents import LineInput, issue_credit_note, issue_invoice, issue_quote
from portal.urls import urlpatterns as portal_urlpatterns

# The lead mounts billing.account_urls at /account/ in portal/urls.py; until then these tests do.
urlpatterns = list(portal_urlpatterns)
if not any(getattr(p, "namespace", None) == "account_info" for p in portal_urlpatterns):
    urlpatterns.append(path("account/", include("billing.account_urls")))
pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
URL = "/accounting/"
LINES = [LineInput("SSL OV – 1 year", 1, D("100.00"))]


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    """Each document gets a small PDF of its own (WeasyPrint is tested in test_billing_pdf)."""
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


@contextmanager
def on(day: datetime.date):
    """Issue documents as if on `day` (the services date them with timezone.localdate())."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def this_year(month: int, day: int = 15) -> datetime.date:
    return datetime.date(timezone.localdate().year, month, day)


def last_year() -> datetime.date:
    return datetime.date(timezone.localdate().year - 1, 6, 15)


def shown(response) -> set[str]:
    return {row.record.display_number for row in response.context["table"].page.object_list}


def test_lists_the_current_year_by_default_with_figures(client, billing, account):
    with on(this_year(1)):
        invoice = issue_invoice(account, [LineInput("SSL OV – 1 year", 2, D("120.00"))], reference="CP0001")
    with on(this_year(2)):
        credit = issue_credit_note(
            invoice, [LineInput("SSL OV – 1 year", 1, D("120.00"))], reason="One cancelled"
        )
    with on(last_year()):
        old = issue_invoice(account, LINES)
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    assert {r.record.display_number for r in response.context["table"].page.object_list} == {
        invoice.display_number,
        credit.display_number,
    }
    html = response.content.decode()
    assert old.display_number not in html
    assert "288.00" in html  # 2 × 120 + 20 % VAT
    assert "-144.00" in html  # the credit note, incl. VAT
    assert f'href="/accounting/documents/{invoice.public_id}/pdf/"' in html
    assert f'name="documents" value="{credit.public_id}"' in html
    assert "CP0001" in html and invoice.display_number in html  # the credit note names its invoice
    form = response.context["form"]
    assert form["date_from"].value() == this_year(1, 1).isoformat()
    assert form["date_to"].value() == this_year(12, 31).isoformat()


def test_filters_by_period_and_kind(client, billing, account):
    with on(last_year()):
        old = issue_invoice(account, LINES)
    with on(this_year(3)):
        recent = issue_invoice(account, LINES)
        credit = issue_credit_note(recent, reason="Cancelled")
    client.force_login(billing)
    start, end = last_year().replace(day=1), last_year().replace(day=28)
    shown = {
        r.record.display_number
        for r in client.get(URL, {"date_from": start.isoformat(), "date_to": end.isoformat()})
        .context["table"]
        .page.object_list
    }
    assert shown == {old.display_number}
    shown = {
        r.record.display_number
        for r in client.get(URL, {"date_from": "", "date_to": "", "kind": "credit_note"})
        .context["table"]
        .page.object_list
    }
    assert shown == {credit.display_number}
    shown = {
        r.record.display_number
        for r in client.get(URL, {"date_from": "", "date_to": ""}).context["table"].page.object_list
    }
    assert shown == {old.display_number, recent.display_number, credit.display_number}


def test_quotes_are_not_listed(client, billing, account):
    quote = issue_quote(account, LINES)
    client.force_login(billing)
    assert quote.display_number not in client.get(URL).content.decode()


def test_a_bad_period_is_refused_next_to_its_field(client, billing, account):
    issue_invoice(account, LINES)
    client.force_login(billing)
    response = client.get(URL, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": ["The end of the period is before its start."]}
    assert list(response.context["table"].page.object_list) == []
    assert 'value="2026-05-01"' in response.content.decode()  # nothing typed is lost
    response = client.get(URL, {"date_from": "not a date"})
    assert "date_from" in response.context["form"].errors


def test_another_accounts_documents_never_show(client, billing, account, other_account):
    mine = issue_invoice(account, LINES)
    theirs = issue_invoice(other_account, LINES)
    client.force_login(billing)
    html = client.get(URL, {"date_from": "", "date_to": ""}).content.decode()
    assert mine.display_number in html
    assert theirs.display_number not in html and theirs.public_id not in html


def test_it_refuses_a_user_without_the_billing_right(client, tech):
    client.force_login(tech)
    for name in ("billing:documents", "billing:documents_csv", "billing:documents_zip"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("billing:documents_zip"), {"documents": ["x"]}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_list(client, billing, account):
    client.force_login(billing)
    for _i in range(5):
        issue_invoice(account, LINES)
    client.get(URL)
    small = count_queries(client, URL)
    for _i in range(45):
        invoice = issue_invoice(account, LINES)
    issue_credit_note(invoice, reason="Cancelled")
    client.get(URL)  # the writes dropped the account's cached badges: counted again once
    large = count_queries(client, URL)
    assert large == small
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL)
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "billing_document"' in q["sql"]]
    assert listing and all('"pdf"' not in sql.split("FROM")[0] for sql in listing)  # PDFs never loaded


class TestZip:
    def zip_of(self, response) -> dict[str, bytes]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    def test_it_holds_exactly_the_selected_pdfs(self, client, billing, account):
        first, second, third = (issue_invoice(account, LINES) for _i in range(3))
        credit = issue_credit_note(first, reason="Cancelled")
        client.force_login(billing)
        response = client.post(
            reverse("billing:documents_zip"),
            {"documents": [first.public_id, credit.public_id, third.public_id]},
        )
        files = self.zip_of(response)
        assert files == {f"{d.display_number}.pdf": bytes(d.pdf) for d in (first, credit, third)}
        assert f"{second.display_number}.pdf" not in files

    def test_another_accounts_ids_are_ignored(self, client, billing, account, other_account):
        mine = issue_invoice(account, LINES)
        theirs = issue_invoice(other_account, LINES)
        client.force_login(billing)
        files = self.zip_of(
            client.post(reverse("billing:documents_zip"), {"documents": [mine.public_id, theirs.public_id]})
        )
        assert list(files) == [f"{mine.display_number}.pdf"]

    def test_a_selection_of_only_foreign_or_unknown_ids_is_404(self, client, billing, account, other_account):
        theirs = issue_invoice(other_account, LINES)
        quote = issue_quote(account, LINES)  # not on this page
        client.force_login(billing)
        response = client.post(
            reverse("billing:documents_zip"),
            {"documents": [theirs.public_id, quote.public_id, "0123456789abcdef"]},
        )
        assert response.status_code == 404

    def test_an_empty_selection_says_so(self, client, billing, account):
        issue_invoice(account, LINES)
        client.force_login(billing)
        response = client.post(
            reverse("billing:documents_zip"), {"next": "/accounting/?kind=invoice"}, follow=True
        )
        assert response.redirect_chain[-1][0] == "/accounting/?kind=invoice"
        assert "Select at least one document to download." in response.content.decode()

    def test_the_return_address_stays_on_the_accounting_pages(self, client, billing):
        client.force_login(billing)
        response = client.post(reverse("billing:documents_zip"), {"next": "https://evil.test/"})
        assert response["Location"] == "/accounting/"

    def test_get_is_not_allowed(self, client, billing):
        client.force_login(billing)
        assert client.get(reverse("billing:documents_zip")).status_code == 405


class TestCsv:
    def read(self, response) -> list[list[str]]:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:])))

    def test_it_has_the_columns_shown_and_the_filtered_rows(self, client, billing, account, other_account):
        with on(this_year(1, 10)):
            invoice = issue_invoice(
                account, [LineInput("SSL OV – 1 year", 2, D("120.00"))], reference="=CMD()"
            )
        with on(this_year(1, 20)):
            credit = issue_credit_note(
                invoice, [LineInput("SSL OV – 1 year", 1, D("120.00"))], reason="Cancelled"
            )
        with on(last_year()):
            issue_invoice(account, LINES)
        issue_invoice(other_account, LINES)
        client.force_login(billing)
        rows = self.read(client.get(reverse("billing:documents_csv"), {"sort": "issue_date"}))
        assert rows[0] == [
            "Number",
            "Kind",
            "Date",
            "Reference",
            "Corrects invoice",
            "Excl. VAT",
            "VAT",
            "Incl. VAT",
            "Status",
        ]
        assert rows[1:] == [
            [
                invoice.display_number,
                "Invoice",
                this_year(1, 10).isoformat(),
                "'=CMD()",
                "",
                "240.00",
                "48.00",
                "288.00",
                "Issued",
            ],
            [
                credit.display_number,
                "Credit note",
                this_year(1, 20).isoformat(),
                "'=CMD()",
                invoice.display_number,
                "-120.00",
                "-24.00",
                "-144.00",
                "Issued",
            ],
        ]

    def test_the_export_follows_the_kind_filter(self, client, billing, account):
        invoice = issue_invoice(account, LINES)
        issue_credit_note(invoice, reason="Cancelled")
        client.force_login(billing)
        rows = self.read(client.get(reverse("billing:documents_csv"), {"kind": "invoice"}))
        assert [row[0] for row in rows[1:]] == [invoice.display_number]

    def test_a_bad_filter_is_not_exported(self, client, billing):
        client.force_login(billing)
        response = client.get(
            reverse("billing:documents_csv"), {"date_from": "2026-05-01", "date_to": "2026-01-01"}
        )
        assert response.status_code == 302 and response["Location"].startswith("/accounting/?")

    def test_the_page_links_to_its_export_with_its_filters(self, client, billing):
        client.force_login(billing)
        response = client.get(URL, {"kind": "invoice", "page": "1"})
        assert response.context["export_url"] == "/accounting/csv/?kind=invoice"


def test_the_cached_number_of_rows_follows_a_new_invoice(client, billing, account, other_account):
    """Issue 17: the list's length comes from the account cache; issuing an invoice drops it, so
    the next page counts the new one; another account's invoices never count."""
    with on(this_year(3)):
        issue_invoice(account, LINES)
        issue_invoice(other_account, LINES)
    client.force_login(billing)
    assert client.get(URL).context["table"].paginator.count == 1
    assert client.get(URL).context["table"].paginator.count == 1  # from the cache
    with on(this_year(4)):
        issue_invoice(account, LINES)
    assert client.get(URL).context["table"].paginator.count == 2
    assert client.get(URL, {"kind": "credit_note"}).context["table"].paginator.count == 0


def test_the_last_page_is_the_end_of_the_list(client, billing, account):
    """Issue 17: a page in the second half is read in the reversed order: the same rows as the
    list's own order gives, oldest last."""
    numbers = []
    for month in range(1, 7):
        with on(this_year(month)):
            numbers += [issue_invoice(account, LINES).display_number for _ in range(6)]
    client.force_login(billing)
    newest_first = list(reversed(numbers))  # same day: the later id first
    pages = [
        [
            row.record.display_number
            for row in client.get(URL, {"page": page}).context["table"].page.object_list
        ]
        for page in (1, 2)
    ]
    assert pages[0] == newest_first[:25] and pages[1] == newest_first[25:]
    by_number = client.get(URL, {"sort": "display_number", "page": 2}).context["table"].page.object_list
    assert [row.record.display_number for row in by_number] == sorted(numbers)[25:]


@pytest.mark.sqlite
def test_the_last_page_reads_no_offset(client, billing, account):
    """Issue 17: the last page is a LIMIT from the end, not an OFFSET over the list."""
    client.force_login(billing)
    for _i in range(30):
        issue_invoice(account, LINES)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, {"page": 2}).status_code == 200
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "billing_document"' in q["sql"]]
    assert listing and not any("OFFSET" in sql for sql in listing)


def test_the_last_pages_queries_do_not_grow_with_the_list(client, billing, account):
    client.force_login(billing)
    for _i in range(30):
        issue_invoice(account, LINES)
    client.get(URL + "?page=2")
    small = count_queries(client, URL + "?page=2")
    for _i in range(50):
        issue_invoice(account, LINES)
    client.get(URL + "?page=4")  # the writes dropped the cached figures: counted again once
    assert count_queries(client, URL + "?page=4") == small <= 12
