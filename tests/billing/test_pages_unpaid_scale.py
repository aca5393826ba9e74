"""Issue 17 (ACCT-3, ACCT-1): the unpaid list reads its page's rows only, its count and totals come
from the account's cache and are dropped by every write that changes them; middle and last pages
of the document lists give the right rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Document, DocumentKind, DocumentStatus
from billing.services import documents as document_services
from billing.services.accounting import unpaid_figures, unpaid_invoices
from billing.services.coupons import apply_coupon, issue_coupon
from billing.services.documents import LineInput, issue_credit_note, issue_invoice
from billing.services.receipts import record_receipt
from tests.billing.test_pages_documents import on
from tests.billing.test_pages_unpaid import row_class
from tests.support.paging import next_link, previous_link

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
URL = "/accounting/unpaid/"
LINES = [LineInput("SSL OV – 1 year", 1, D("100.00"))]  # 120.00 incl. VAT


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def page(client, url: str = URL):
    response = client.get(url)
    assert response.status_code == 200
    return response


def rows(response) -> list[tuple[str, Decimal]]:
    return [(row.record.display_number, row.record.amount_due) for row in response.context["table"].page]


def numbers(response) -> list[str]:
    return [row.record.display_number for row in response.context["table"].page]


def test_a_partial_receipt_shows_at_once_in_the_amounts_and_totals(client, billing, account, staff):
    with on(days_ago(45)):
        late = issue_invoice(account, LINES, due_days=30)  # overdue
    current = issue_invoice(account, LINES, due_days=30)
    client.force_login(billing)
    before = page(client)  # the figures are now cached
    assert before.context["totals"] == {"total": D("240.00"), "overdue": D("120.00")}
    record_receipt(
        late, amount="50.00", received_on=timezone.localdate(), method="transfer", reference="V1", by=staff
    )
    after = page(client)
    assert rows(after) == [(late.display_number, D("70.00")), (current.display_number, D("120.00"))]
    assert after.context["totals"] == {"total": D("190.00"), "overdue": D("70.00")}
    html = after.content.decode()
    assert "overdue" in row_class(html, late.display_number)
    assert "overdue" not in row_class(html, current.display_number)
    assert 'data-testid="total-due">190.00' in html


def test_a_settling_receipt_removes_the_invoice_and_its_amount(client, billing, account, staff):
    first = issue_invoice(account, LINES)
    second = issue_invoice(account, LINES)
    client.force_login(billing)
    assert page(client).context["totals"]["total"] == D("240.00")
    record_receipt(
        first, amount="120.00", received_on=timezone.localdate(), method="transfer", reference="V", by=staff
    )
    after = page(client)
    assert numbers(after) == [second.display_number]
    assert after.context["totals"] == {"total": D("120.00"), "overdue": D("0.00")}
    assert after.context["table"].paginator.count == 1


def test_a_credit_note_shows_at_once(client, billing, account):
    invoice = issue_invoice(account, [LineInput("SSL OV – 1 year", 2, D("100.00"))])
    client.force_login(billing)
    assert page(client).context["totals"]["total"] == D("240.00")
    issue_credit_note(invoice, [LineInput("SSL OV – 1 year", 1, D("100.00"))], reason="One cancelled")
    after = page(client)
    assert rows(after) == [(invoice.display_number, D("120.00"))]
    assert after.context["totals"]["total"] == D("120.00")


def test_a_used_deposit_coupon_shows_at_once(client, billing, account):
    coupon = issue_coupon(account, D("40.20"), origin_reference="CP0001")
    invoice = issue_invoice(account, LINES, reference="CP0002")
    client.force_login(billing)
    assert page(client).context["totals"]["total"] == D("120.00")
    apply_coupon(coupon, D("40.20"), reference="CP0002")
    after = page(client)
    assert rows(after) == [(invoice.display_number, D("79.80"))]
    assert after.context["totals"] == {"total": D("79.80"), "overdue": D("0.00")}


def test_the_overdue_part_follows_the_date(client, billing, account):
    """The cached totals are per day: tomorrow an invoice due today is overdue."""
    invoice = issue_invoice(account, LINES, due_days=0)
    client.force_login(billing)
    assert page(client).context["totals"] == {"total": D("120.00"), "overdue": D("0.00")}
    tomorrow = invoice.due_date + datetime.timedelta(days=1)
    figures = unpaid_figures(account, tomorrow)
    assert (figures["count"], figures["total"], figures["overdue"]) == (1, D("120.00"), D("120.00"))
    assert unpaid_figures(account, invoice.due_date)["overdue"] == D("0.00")


@pytest.fixture
def many_unpaid(account):
    """60 unpaid invoices with due dates out of issue order, some credited, one other account's."""
    invoices = []
    for i in range(60):
        with on(days_ago(90 - (i * 7) % 61)):
            invoices.append(issue_invoice(account, LINES, due_days=30))
    for invoice in invoices[::9]:
        issue_credit_note(invoice, [LineInput("Discount", 1, D("10.00"))], reason="Discount")
    return invoices


def expected_unpaid(account) -> list[tuple[str, Decimal]]:
    return [(d.display_number, getattr(d, "amount_due")) for d in unpaid_invoices(account)]  # noqa: B009


@pytest.mark.parametrize("sort", ["", "-due_date", "amount_due", "-display_number"])
def test_every_page_of_the_unpaid_list_gives_its_rows(client, billing, account, many_unpaid, sort):
    client.force_login(billing)
    ordering = {"": ("due_date", "id"), "-due_date": ("-due_date", "-id")}.get(sort)
    everything = []
    for number in (1, 2, 3):
        response = page(client, f"{URL}?page={number}&sort={sort}" if sort else f"{URL}?page={number}")
        everything += rows(response)
        assert response.context["table"].paginator.count == 60
    assert len(everything) == 60 and len(set(everything)) == 60
    if ordering:
        expected = [
            (d.display_number, getattr(d, "amount_due"))  # noqa: B009 (an annotation)
            for d in unpaid_invoices(account).order_by(*ordering)
        ]
        assert everything == expected
    assert sorted(everything) == sorted(expected_unpaid(account))
    if sort == "amount_due":
        assert [amount for _n, amount in everything] == sorted(amount for _n, amount in everything)


def test_the_unpaid_page_reads_its_rows_by_id(client, billing, account, many_unpaid):
    """The page's ids come without the per-row subqueries; only the page's rows compute them."""
    client.force_login(billing)
    page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client, f"{URL}?page=2")
    selects = [q["sql"] for q in queries.captured_queries if "billing_document" in q["sql"]]
    with_due = [sql for sql in selects if "billing_receipt" in sql]
    assert len(with_due) == 1 and '"billing_document"."id" IN (' in with_due[0]
    assert not any("COUNT(" in sql for sql in selects)  # the count is the cached one


def test_the_unpaid_totals_are_not_summed_again_on_each_page(client, billing, account, many_unpaid):
    client.force_login(billing)
    page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client)
    sums = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"]]
    assert sums and all('"billing_document"."id" IN (' in sql for sql in sums)  # the page's rows only


def test_the_unpaid_list_shows_only_the_accounts_own(client, billing, account, other_account):
    issue_invoice(other_account, LINES)
    mine = issue_invoice(account, LINES)
    client.force_login(billing)
    response = page(client)
    assert numbers(response) == [mine.display_number]
    assert response.context["totals"]["total"] == D("120.00")


@pytest.fixture
def sixty_documents(account):
    documents = []
    for i in range(55):
        with on(datetime.date(timezone.localdate().year, 1 + i % 11, 1 + i % 27)):
            documents.append(issue_invoice(account, LINES))
    for invoice in documents[:5]:
        issue_credit_note(invoice, reason="Cancelled")
    return documents


def expected_documents(account, ordering: tuple[str, ...]) -> list[str]:
    year = timezone.localdate().year
    return list(
        Document.objects.filter(
            account=account,
            kind__in=(DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE),
            issue_date__year=year,
        )
        .order_by(*ordering)
        .values_list("display_number", flat=True)
    )


@pytest.mark.parametrize("url", ["/accounting/", "/account/statements/"])
def test_middle_and_last_pages_of_the_documents_give_their_rows(
    client, billing, account, sixty_documents, url
):
    if url.startswith("/account/"):
        account.formula = account.Formula.MONTHLY
        account.save(update_fields=["formula"])
    client.force_login(billing)
    table = "table" if url == "/accounting/" else "document_table"
    shown = []
    for number in (1, 2, 3):
        response = page(client, f"{url}?page={number}")
        shown += [row.record.display_number for row in response.context[table].page]
    assert shown == expected_documents(account, ("-issue_date", "-display_number", "-id"))
    assert page(client, f"{url}?page=99").context[table].page.number == 3
    ascending = []
    for number in (1, 2, 3):
        response = page(client, f"{url}?page={number}&sort=display_number")
        ascending += [row.record.display_number for row in response.context[table].page]
    assert ascending == expected_documents(account, ("display_number", "id"))


def test_statements_and_documents_pages_have_constant_queries(client, billing, account):
    account.formula = account.Formula.MONTHLY
    account.save(update_fields=["formula"])
    client.force_login(billing)
    for _i in range(3):
        issue_invoice(account, LINES)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for _i in range(60):
                issue_invoice(account, LINES)
        for url in ("/account/statements/", "/accounting/", "/accounting/?page=2", URL, f"{URL}?page=2"):
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[size, url] = len(queries.captured_queries)
    for url in ("/account/statements/", "/accounting/", URL):
        assert counts["small", url] == counts["large", url] <= 12
    assert counts["large", "/accounting/?page=2"] == counts["large", "/accounting/"]
    assert counts["large", f"{URL}?page=2"] == counts["large", URL]
    assert DocumentStatus.ISSUED  # the invoices stay unpaid


@pytest.mark.parametrize("url", ["/accounting/", "/account/statements/"])
@pytest.mark.parametrize("sort", ["", "display_number"])
def test_the_next_and_previous_links_give_every_document_once(
    client, billing, account, sixty_documents, url, sort
):
    """Issue 17, keyset links: the documents' pages reached by their links (which carry a cursor)
    are the pages by number, in both directions."""
    if url.startswith("/account/"):
        account.formula = account.Formula.MONTHLY
        account.save(update_fields=["formula"])
    client.force_login(billing)
    table = "table" if url == "/accounting/" else "document_table"
    response = page(client, f"{url}?sort={sort}")
    shown = [row.record.display_number for row in response.context[table].page]
    while response.context[table].page.has_next():
        link = next_link(response)
        assert "cursor=" in link
        response = page(client, url + link)
        shown += [row.record.display_number for row in response.context[table].page]
    ordering = ("display_number", "id") if sort else ("-issue_date", "-display_number", "-id")
    assert shown == expected_documents(account, ordering)
    backwards: list[str] = []
    while response.context[table].page.has_previous():
        response = page(client, url + previous_link(response))
        backwards = [row.record.display_number for row in response.context[table].page] + backwards
    assert backwards == shown[:50]
