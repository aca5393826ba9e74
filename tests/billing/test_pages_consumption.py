"""LEDG-3: consumption statistics over a chosen period, in volume or value, with an SVG chart and
a month-by-month table."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.models import MovementKind, TokenMovement
from billing.services import documents as document_services
from billing.services.consumption import Measure, add_months, consumption, last_twelve_months, months_between
from billing.services.documents import LineInput, issue_credit_note, issue_invoice
from billing.services.ledger import credit_tokens, debit_tokens
from tests import factories
from tests.billing.test_pages_documents import on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

D = Decimal
URL = "/account/consumption/"


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


def month(offset: int) -> datetime.date:
    """The first day of the month `offset` months from now (negative: before)."""
    return add_months(timezone.localdate().replace(day=1), offset)


def backdate(movement, day: datetime.date) -> None:
    """Test-only: move a ledger row in time. The ledger refuses updates; the base manager does not."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    TokenMovement._base_manager.filter(pk=movement.pk).update(created_at=moment)


def use(account, product, quantity: int, reference: str, day: datetime.date):
    backdate(debit_tokens(account, product, quantity, reference=reference), day)


@pytest.fixture
def token_history(account, other_account, product, other_product):
    account.formula = Account.Formula.BULK
    account.save(update_fields=["formula"])
    credit_tokens(account, product, 20, reference="TOP-1")
    credit_tokens(account, other_product, 20, reference="TOP-2")
    use(account, product, 3, "CP0001", month(-2).replace(day=5))
    use(account, product, 2, "CP0002", month(-2).replace(day=25))
    use(account, other_product, 1, "CP0003", month(-2).replace(day=6))
    use(account, product, 4, "CP0004", month(0))
    # Given back after a cancellation: not consumed.
    backdate(credit_tokens(account, product, 1, reference="CP0004", kind=MovementKind.REFUND), month(0))
    use(account, product, 7, "CP0005", month(-14))  # before the default period
    credit_tokens(other_account, product, 9, reference="THEIRS")
    use(other_account, product, 9, "THEIRS", month(-2))


def test_month_helpers():
    assert add_months(datetime.date(2026, 11, 1), 2) == datetime.date(2027, 1, 1)
    assert add_months(datetime.date(2026, 1, 1), -1) == datetime.date(2025, 12, 1)
    assert months_between(datetime.date(2025, 11, 20), datetime.date(2026, 2, 3)) == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]
    start, end = last_twelve_months(datetime.date(2026, 3, 14))
    assert (start, end) == (datetime.date(2025, 4, 1), datetime.date(2026, 3, 1))


@pytest.mark.sqlite  # date arithmetic in SQL: checked on SQLite too
def test_volume_per_product_and_month(account, product, other_product, token_history):
    stats = consumption(account, month(-11), month(0), Measure.VOLUME)
    assert len(stats.months) == 12
    rows = {row.key: row.values for row in stats.rows}
    expected_product = [0] * 12
    expected_product[9], expected_product[11] = 5, 3
    expected_other = [0] * 12
    expected_other[9] = 1
    assert rows == {product.code: expected_product, other_product.code: expected_other}
    assert stats.month_totals[9] == 6 and stats.total == 9


@pytest.mark.sqlite  # date arithmetic in SQL: checked on SQLite too
def test_value_is_invoices_less_credit_notes(account, other_account):
    with on(month(-1).replace(day=10)):
        invoice = issue_invoice(
            account,
            [LineInput("SSL OV – 1 year", 2, D("120.00")), LineInput("Additional SAN", 1, D("30.00"))],
        )
    with on(month(0).replace(day=2)):
        issue_credit_note(invoice, [LineInput("SSL OV – 1 year", 1, D("120.00"))], reason="One cancelled")
        issue_invoice(account, [LineInput("SSL OV – 1 year", 1, D("120.00"))], paid=True)
    with on(month(-1).replace(day=10)):
        issue_invoice(other_account, [LineInput("SSL OV – 1 year", 5, D("120.00"))])
    stats = consumption(account, month(-1), month(0), Measure.VALUE)
    rows = {row.label: row.values for row in stats.rows}
    assert rows == {"SSL OV – 1 year": [D("240.00"), D("0.00")], "Additional SAN": [D("30.00"), D("0.00")]}
    assert stats.month_totals == [D("270.00"), D("0.00")] and stats.total == D("270.00")


def test_the_page_shows_the_chart_and_the_table(client, billing, account, product, token_history):
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["start"].value() == month(-11).strftime("%Y-%m")
    assert form["end"].value() == month(0).strftime("%Y-%m")
    assert form["measure"].value() == Measure.VOLUME  # token formula
    html = response.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "aria-labelledby=" in svg and "<desc" in svg
    assert svg.count("<rect") == 12
    busy = month(-2).strftime("%B %Y")
    assert f"<title>{busy}: 6</title>" in svg
    assert f"<title>{month(0).strftime('%B %Y')}: 3</title>" in svg
    assert f"<title>{month(-5).strftime('%B %Y')}: 0</title>" in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[9] == max(heights) > heights[11] > 0 == heights[0]
    assert 'data-testid="grand-total">9<' in html
    assert product.name in html and "THEIRS" not in html


def test_value_measure_on_the_page(client, billing, account):
    with on(month(-1).replace(day=10)):
        issue_invoice(account, [LineInput("SSL OV – 1 year", 2, D("120.00"))])
    client.force_login(billing)
    response = client.get(URL, {"measure": "value"})
    html = response.content.decode()
    assert f"<title>{month(-1).strftime('%B %Y')}: 240.00\u00a0€</title>" in html
    assert "SSL OV – 1 year" in html


def test_the_default_measure_is_value_without_tokens(client, billing, account):
    account.formula = Account.Formula.MONTHLY
    account.save(update_fields=["formula"])
    client.force_login(billing)
    assert client.get(URL).context["form"]["measure"].value() == Measure.VALUE


def test_a_chosen_period(client, billing, account, token_history):
    client.force_login(billing)
    response = client.get(URL, {"start": month(-14).strftime("%Y-%m"), "end": month(-13).strftime("%Y-%m")})
    stats = response.context["stats"]
    assert stats.months == [month(-14), month(-13)]
    assert stats.month_totals == [7, 0]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-05", "end": "2026-01"}, "end", "The last month is before the first."),
        ({"start": "2020-01", "end": "2026-01"}, "end", "Choose a period of at most 36 months."),
        ({"start": "May", "end": "2026-01"}, "start", "Enter a month as YYYY-MM."),
        ({"start": "", "end": "2026-01"}, "start", "This field is required."),
    ],
)
def test_a_bad_period_is_refused_next_to_its_field(client, billing, params, field, message):
    client.force_login(billing)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert "<svg" not in response.content.decode()
    assert client.get(reverse("account_info:consumption_csv"), params).status_code == 302


def test_csv_of_the_month_by_month_table(client, billing, account, product, other_product, token_history):
    client.force_login(billing)
    response = client.get(
        reverse("account_info:consumption_csv"),
        {"start": month(-2).strftime("%Y-%m"), "end": month(0).strftime("%Y-%m")},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows == [
        [
            "Product",
            month(-2).strftime("%Y-%m"),
            month(-1).strftime("%Y-%m"),
            month(0).strftime("%Y-%m"),
            "Total",
        ],
        [product.name, "5", "0", "3", "8"],
        [other_product.name, "1", "0", "0", "1"],
        ["Total", "6", "0", "3", "9"],
    ]


def test_it_refuses_a_user_without_the_billing_right(client, tech):
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("account_info:consumption_csv")).status_code == 403


def test_statistics_are_one_query(account, token_history, django_assert_num_queries):
    with django_assert_num_queries(1):
        consumption(account, month(-11), month(0), Measure.VOLUME)
    with django_assert_num_queries(1):
        consumption(account, month(-11), month(0), Measure.VALUE)
