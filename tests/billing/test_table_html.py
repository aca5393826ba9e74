"""Issue 17: the accounting tables' rows written by the portal's fast cell path (`{% table_rows %}`)
are the HTML django-tables2's own template writes (money, dates, kinds and statuses, links)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django_scopes import scope

from billing.models import Document
from billing.services.documents import LineInput, issue_credit_note, issue_invoice
from billing.tables import DocumentTable
from tests.billing.test_pages_documents import fast_pdf  # noqa: F401 (autouse fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]


def rendered(table, template_name: str, rf) -> str:
    table.template_name = template_name
    page = Template("{% load django_tables2 %}{% render_table table %}")
    html = page.render(Context({"request": rf.get("/accounting/"), "table": table}))
    return " ".join(html.split()).replace("> <", "><")


def test_the_documents_table_writes_django_tables2s_html(rf, account):
    invoice = issue_invoice(
        account, [LineInput("SSL <OV> – 1 year", 2, Decimal("120.50"))], reference="CP<1>"
    )
    issue_invoice(account, [LineInput("DV", 1, Decimal("10.00"))])
    issue_credit_note(invoice, [LineInput("Refund", 1, Decimal("20.00"))], reason="Gesture")
    with scope(account=account.pk):
        for language in ("en", "fr"):
            with translation.override(language):
                rows = Document.objects.filter(account=account).order_by("pk")
                tables = [DocumentTable(rows) for _ in range(2)]
                ours = rendered(tables[0], "django_tables2/portal.html", rf)
                theirs = rendered(tables[1], "django_tables2/bootstrap5.html", rf)
                assert ours == theirs
                assert ours.count("<tr ") == 3
    assert "CP&lt;1&gt;" in ours


def test_the_pdf_link_is_the_reversed_url(account):
    from django.urls import reverse

    from billing.tables import pdf_link, pdf_url

    assert pdf_url("AbC-12_z") == reverse("billing:document_pdf", args=["AbC-12_z"])
    assert f'href="{reverse("billing:document_pdf", args=["x1"])}"' in pdf_link("x1", "F<1>")
    assert "F&lt;1&gt;" in pdf_link("x1", "F<1>")


def test_money_text_is_kept_per_amount_and_language():
    from django.template.defaultfilters import floatformat

    from billing.templatetags.billing_format import money

    for language in ("en", "fr"):
        with translation.override(language):
            for value in (
                Decimal("1234.5"),
                Decimal("1234.50"),
                Decimal("-0.005"),
                Decimal("1.005"),
                Decimal("0"),
            ):
                expected = f"{floatformat(value, '2g')}\u00a0€"
                assert money(value) == expected
                assert money(value) == expected  # kept
            assert money(12.5) == f"{floatformat(12.5, '2g')}\u00a0€"
    with translation.override("fr"):
        french = money(Decimal("1234.5"))
    with translation.override("en"):
        assert money(Decimal("1234.5")) != french
