"""LEDG-1, LEDG-2: the statement of the account's formula, with running balances and CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from billing.models import MovementKind
from billing.services import documents as document_services
from billing.services.documents import LineInput, issue_invoice
from billing.services.ledger import credit_euros, credit_tokens, debit_euros, debit_tokens
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
F = Account.Formula
URL = "/account/statements/"


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


@pytest.fixture
def other_product(db):
    return factories.make_product("ssl-dv", price=D("40.00"), name="SSL DV", validation="DV")


def use_formula(account, formula) -> None:
    account.formula = formula
    account.save(update_fields=["formula"])


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))


def product_url(product) -> str:
    return reverse("account_info:statement_product", args=[product.code])


class TestBulk:
    @pytest.fixture(autouse=True)
    def bulk(self, account, other_account):
        use_formula(account, F.BULK)
        use_formula(other_account, F.BULK)

    def test_token_balance_per_product(self, client, billing, account, other_account, product, other_product):
        credit_tokens(account, product, 10, reference="TOP-1")
        debit_tokens(account, product, 3, reference="CP0001")
        credit_tokens(account, other_product, 2, reference="TOP-2")
        credit_tokens(other_account, product, 99, reference="TOP-9")
        client.force_login(billing)
        response = client.get(URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Bulk purchase" in html and "Tokens are not refundable and never expire." in html
        rows = {
            row.record["product__code"]: (row.record["bought"], row.record["used"], row.record["balance"])
            for row in response.context["token_table"].page.object_list
        }
        assert rows == {product.code: (10, 3, 7), other_product.code: (2, 0, 2)}
        assert f'href="{product_url(product)}"' in html
        assert "euro_table" not in response.context and "document_table" not in response.context

    def test_balances_are_one_query_whatever_the_products(
        self, client, billing, account, product, other_product
    ):
        client.force_login(billing)
        credit_tokens(account, product, 1, reference="TOP-1")
        client.get(URL)
        with CaptureQueriesContext(connection) as one:
            client.get(URL)
        for i in range(4):
            extra = factories.make_product(f"extra-{i}")
            credit_tokens(account, extra, 1, reference="TOP-1")
            debit_tokens(account, extra, 1, reference="CP0001")
        client.get(URL)  # the writes dropped the account's cached badges: counted again once
        with CaptureQueriesContext(connection) as five:
            client.get(URL)
        assert len(five.captured_queries) == len(one.captured_queries)

    def test_product_page_has_the_running_balance(self, client, billing, account, product, other_product):
        top_up = credit_tokens(account, product, 5, reference="TOP-1")
        credit_tokens(account, other_product, 4, reference="TOP-2")
        debit_tokens(account, product, 2, reference="CP0001")
        credit_tokens(account, product, 1, reference="CP0001", kind=MovementKind.REFUND)
        client.force_login(billing)
        response = client.get(product_url(product), {"sort": "created_at"})
        assert response.status_code == 200
        rows = [
            (row.record.kind, row.record.quantity, row.record.balance_after)
            for row in response.context["table"].page.object_list
        ]
        assert rows == [("top_up", 5, 5), ("consumption", -2, 3), ("refund", 1, 4)]
        assert response.context["summary"]["balance"] == 4
        html = response.content.decode()
        assert "TOP-2" not in html  # another product
        # Newest first by default, the balance after each movement still computed oldest first.
        default = [
            row.record.balance_after
            for row in client.get(product_url(product)).context["table"].page.object_list
        ]
        assert default == [4, 3, 5]
        assert top_up.reference in html

    def test_product_page_is_constant_in_queries(self, client, billing, account, product):
        client.force_login(billing)
        credit_tokens(account, product, 100, reference="TOP-1")
        for i in range(4):
            debit_tokens(account, product, 1, reference=f"CP{i}")
        client.get(product_url(product))
        with CaptureQueriesContext(connection) as small:
            client.get(product_url(product))
        for i in range(45):
            debit_tokens(account, product, 1, reference=f"MORE{i}")
        client.get(product_url(product))  # the writes dropped the account's cached badges: counted again once
        with CaptureQueriesContext(connection) as large:
            client.get(product_url(product))
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_product_page_csv(self, client, billing, account, product):
        credit_tokens(account, product, 5, reference="TOP-1", note="=HYPERLINK()")
        debit_tokens(account, product, 2, reference="CP0001")
        client.force_login(billing)
        rows = read_csv(
            client.get(
                reverse("account_info:statement_product_csv", args=[product.code]), {"sort": "created_at"}
            )
        )
        assert rows[0] == ["Date", "Operation", "Reference", "Note", "Document", "Tokens", "Balance after"]
        assert [row[1:] for row in rows[1:]] == [
            ["Top-up", "TOP-1", "'=HYPERLINK()", "", "5", "5"],
            ["Consumption", "CP0001", "", "", "-2", "3"],
        ]

    def test_all_movements_csv_has_every_product_of_the_account_only(
        self, client, billing, account, other_account, product, other_product
    ):
        credit_tokens(account, product, 5, reference="TOP-1")
        credit_tokens(account, other_product, 3, reference="TOP-2")
        credit_tokens(other_account, product, 50, reference="THEIRS")
        client.force_login(billing)
        rows = read_csv(client.get(reverse("account_info:statement_tokens_csv")))
        assert rows[0][1] == "Product"
        assert sorted((row[1], row[3], row[-1]) for row in rows[1:]) == [
            (other_product.name, "TOP-2", "3"),
            (product.name, "TOP-1", "5"),
        ]

    def test_another_accounts_movements_never_show(self, client, billing, other_account, product):
        credit_tokens(other_account, product, 50, reference="THEIRS")
        client.force_login(billing)
        assert "THEIRS" not in client.get(product_url(product)).content.decode()
        assert list(client.get(URL).context["token_table"].page.object_list) == []

    def test_unknown_product_is_404(self, client, billing):
        client.force_login(billing)
        assert client.get(reverse("account_info:statement_product", args=["no-such"])).status_code == 404

    def test_euro_export_is_refused(self, client, billing):
        client.force_login(billing)
        assert client.get(reverse("account_info:statement_euros_csv")).status_code == 403


class TestCurrentAccount:
    @pytest.fixture(autouse=True)
    def current(self, account, other_account):
        use_formula(account, F.CURRENT)

    def test_euro_balance_and_running_balance(self, client, billing, account, other_account):
        invoice = issue_invoice(account, [LineInput("SSL OV – 1 year", 1, D("40.00"))], paid=True)
        credit_euros(account, D("100.00"), reference="TOP-1")
        debit_euros(account, D("48.00"), reference="CP0001", document=invoice)
        credit_euros(account, D("10.00"), reference="CP0001", kind=MovementKind.REFUND)
        credit_euros(other_account, D("999.00"), reference="THEIRS")
        client.force_login(billing)
        response = client.get(URL, {"sort": "created_at"})
        assert response.status_code == 200
        assert response.context["balance"] == D("62.00")
        rows = [
            (row.record.reference, row.record.amount, row.record.balance_after)
            for row in response.context["euro_table"].page.object_list
        ]
        assert rows == [
            ("TOP-1", D("100.00"), D("100.00")),
            ("CP0001", D("-48.00"), D("52.00")),
            ("CP0001", D("10.00"), D("62.00")),
        ]
        html = response.content.decode()
        assert "Current account" in html and "You credit a euro balance in advance" in html
        assert 'data-testid="euro-balance">62.00' in html
        assert f'href="/accounting/documents/{invoice.public_id}/pdf/"' in html
        assert "THEIRS" not in html and "999.00" not in html
        assert "token_table" not in response.context

    def test_euro_csv(self, client, billing, account):
        credit_euros(account, D("100.00"), reference="TOP-1")
        debit_euros(account, D("48.00"), reference="CP0001")
        client.force_login(billing)
        rows = read_csv(client.get(reverse("account_info:statement_euros_csv"), {"sort": "created_at"}))
        assert rows[0] == ["Date", "Operation", "Reference", "Note", "Document", "Amount", "Balance after"]
        assert [row[1:] for row in rows[1:]] == [
            ["Top-up", "TOP-1", "", "", "100.00", "100.00"],
            ["Purchase", "CP0001", "", "", "-48.00", "52.00"],
        ]

    def test_token_pages_are_refused(self, client, billing, product):
        client.force_login(billing)
        assert client.get(product_url(product)).status_code == 403
        assert client.get(reverse("account_info:statement_tokens_csv")).status_code == 403
        assert (
            client.get(reverse("account_info:statement_product_csv", args=[product.code])).status_code == 403
        )

    def test_the_statement_is_constant_in_queries(self, client, billing, account):
        client.force_login(billing)
        for i in range(5):
            credit_euros(account, D("10"), reference=f"TOP-{i}")
        client.get(URL)
        with CaptureQueriesContext(connection) as small:
            client.get(URL)
        for i in range(45):
            credit_euros(account, D("10"), reference=f"MORE-{i}")
        with CaptureQueriesContext(connection) as large:
            client.get(URL)
        assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize(
    ("formula", "note"),
    [
        (F.REBATE, "rebates on your purchases are paid back each quarter"),
        (F.MONTHLY, "one invoice on the 1st of each month"),
    ],
)
def test_rebate_and_monthly_show_the_invoices_of_the_period(
    client, billing, account, other_account, formula, note
):
    use_formula(account, formula)
    invoice = issue_invoice(account, [LineInput("Monthly orders", 1, D("80.00"))], reference="2026-03")
    theirs = issue_invoice(other_account, [LineInput("Theirs", 1, D("80.00"))])
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert note in html and account.get_formula_display() in html
    assert [row.record.display_number for row in response.context["document_table"].page.object_list] == [
        invoice.display_number
    ]
    assert theirs.display_number not in html
    assert 'name="documents"' not in html  # no selection column here
    assert "euro_table" not in response.context


def test_rebate_accounts_also_see_their_tokens(client, billing, account, product):
    """User guide 9.1.3: a Rebate account may buy tokens and has a token statement."""
    credit_tokens(account, product, 3, reference="TOP-1")
    client.force_login(billing)
    response = client.get(URL)
    assert [row.record["balance"] for row in response.context["token_table"].page.object_list] == [3]
    assert client.get(product_url(product)).status_code == 200


def test_monthly_accounts_have_no_token_statement(client, billing, account, product):
    use_formula(account, F.MONTHLY)
    client.force_login(billing)
    assert "token_table" not in client.get(URL).context
    assert client.get(product_url(product)).status_code == 403


def test_it_refuses_a_user_without_the_billing_right(client, tech, account, product):
    use_formula(account, F.BULK)
    client.force_login(tech)
    for url in (
        URL,
        product_url(product),
        reverse("account_info:statement_tokens_csv"),
        reverse("account_info:statement_euros_csv"),
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
