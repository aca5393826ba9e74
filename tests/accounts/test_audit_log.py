"""ADM-9 / PLAT-6: the account's logs page, its filters and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from accounts.models import AuditEvent
from tests.support.routes import log_in, use_route_settings

LOGS = "/administration/logs/"
EXPORT = "/administration/logs/export.csv"


@pytest.fixture(autouse=True)
def _route_settings(settings):
    use_route_settings(settings)


def at(day: int, hour: int = 12) -> datetime:
    """A moment of March 2026 in the portal's time zone."""
    return timezone.make_aware(datetime(2026, 3, day, hour, 0), timezone.get_current_timezone())


def event(account, action, when, *, actor="Alice Admin", staff=False, **fields):
    return AuditEvent.objects.create(
        account=account, actor_name=actor, action=action, created_at=when, is_staff_action=staff, **fields
    )


@pytest.fixture
def trail(account, other_account):
    return [
        event(
            account,
            "user.created",
            at(1),
            object_type="user",
            object_id="u1",
            ip_address="192.0.2.10",
            details={"username": "nina", "rights": ["technical"]},
        ),
        event(account, "user.suspended", at(10), object_type="user", object_id="u1"),
        event(
            account,
            "order.submitted",
            at(10, 23),
            object_type="order",
            object_id="ORD-1",
            actor='=HYPERLINK("http://evil")',
        ),
        event(account, "account.validated", at(20), actor="Staff Member", staff=True),
        event(other_account, "user.created", at(10), actor="Globex Admin", object_id="secret-other"),
    ]


def export_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_refused_without_administrative_right(client, tech, billing):
    for user in (tech, billing):
        log_in(client, user)
        assert client.get(LOGS).status_code == 403
        assert client.get(EXPORT).status_code == 403


@pytest.mark.django_db
def test_page_lists_the_accounts_events_only(client, owner, trail):
    log_in(client, owner)
    response = client.get(LOGS)
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "user.created",
        "user.suspended",
        "order.submitted",
        "ORD-1",
        "192.0.2.10",
        "<dt>Username</dt><dd>nina</dd>",
        "Alice Admin created user u1",
        "Staff Member",
    ):
        assert text in page, text
    assert "Globex Admin" not in page and "secret-other" not in page
    options = dict(response.context["form"].fields["action"].choices)
    assert set(options) >= {"", "user", "order", "account"}


@pytest.mark.django_db
def test_filter_by_action_namespace_or_code(client, owner, trail):
    log_in(client, owner)
    by_namespace = client.get(LOGS, {"action": "user"}).context["table"]
    assert sorted(row.record.action for row in by_namespace.rows) == ["user.created", "user.suspended"]
    by_code = client.get(LOGS, {"action": "user.suspended"}).context["table"]
    assert [row.record.action for row in by_code.rows] == ["user.suspended"]
    unknown = client.get(LOGS, {"action": "billing.secret"})
    assert unknown.context["form"].errors["action"]


@pytest.mark.django_db
def test_filter_by_period_takes_whole_local_days(client, owner, trail):
    log_in(client, owner)
    table = client.get(LOGS, {"date_from": "2026-03-10", "date_to": "2026-03-10"}).context["table"]
    assert sorted(row.record.action for row in table.rows) == ["order.submitted", "user.suspended"]
    since = client.get(LOGS, {"date_from": "2026-03-11"}).context["table"]
    assert [row.record.action for row in since.rows] == ["account.validated"]


@pytest.mark.django_db
def test_inverted_period_is_an_error_next_to_the_field(client, owner, trail):
    log_in(client, owner)
    response = client.get(LOGS, {"date_from": "2026-03-20", "date_to": "2026-03-01"})
    assert "before its start" in " ".join(response.context["form"].errors["date_to"])
    export = client.get(EXPORT, {"date_from": "2026-03-20", "date_to": "2026-03-01"})
    assert export.status_code == 302 and export["Location"].startswith(LOGS)


@pytest.mark.django_db
def test_csv_export_streams_the_filtered_rows(client, owner, trail):
    log_in(client, owner)
    page = client.get(LOGS, {"action": "user", "date_from": "2026-03-01"}).content.decode()
    assert f"{EXPORT}?action=user&amp;date_from=2026-03-01" in page
    response = client.get(EXPORT, {"action": "user", "date_from": "2026-03-01"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = export_rows(response)
    assert rows[0] == [
        "when",
        "event",
        "details_text",
        "who",
        "staff",
        "action",
        "object_type",
        "object_id",
        "address",
        "details",
    ]
    assert [r[5] for r in rows[1:]] == ["user.suspended", "user.created"]  # newest first
    created = rows[2]
    assert created[0] == "2026-03-01T12:00:00+01:00"
    assert created[1:3] == ["Alice Admin created user u1", "Rights: Technical; Username: nina"]
    assert created[3:9] == ["Alice Admin", "no", "user.created", "user", "u1", "192.0.2.10"]
    assert created[9] == '{"rights": ["technical"], "username": "nina"}'


@pytest.mark.django_db
def test_csv_export_of_everything_keeps_other_accounts_out_and_defuses_formulas(client, owner, trail):
    log_in(client, owner)
    rows = export_rows(client.get(EXPORT))
    assert len(rows) == 1 + 4
    text = "\n".join(",".join(r) for r in rows)
    assert "Globex Admin" not in text and "secret-other" not in text
    order = next(r for r in rows if r[5] == "order.submitted")
    assert order[3] == '\'=HYPERLINK("http://evil")' and order[1].startswith("'=HYPERLINK")
    staff = next(r for r in rows if r[5] == "account.validated")
    assert staff[4] == "yes"


@pytest.mark.django_db
def test_page_runs_a_constant_number_of_queries(client, owner, account):
    for i in range(3):
        event(account, "user.created", timezone.now() - timedelta(minutes=i))
    log_in(client, owner)
    client.get(LOGS)
    with CaptureQueriesContext(connection) as few:
        client.get(LOGS)
    for i in range(40):
        event(account, f"order.step{i % 4}", timezone.now() - timedelta(hours=i), details={"n": i})
    with CaptureQueriesContext(connection) as many:
        client.get(LOGS)
    assert len(many) == len(few)


@pytest.mark.django_db
def test_csv_is_streamed_outside_the_requests_scope(client, owner, trail):
    """The server reads the stream after the view returned, outside the request's scope: the rows
    still come, and only the account's (an enabled scope without an account refuses new queries)."""
    log_in(client, owner)
    response = client.get(EXPORT)
    with scope():
        rows = export_rows(response)
    assert len(rows) == 1 + 4


@pytest.mark.django_db
def test_events_read_as_sentences_with_labelled_details_in_the_users_language(client, owner, account):
    event(
        account,
        "order.approved",
        at(5),
        actor="Claire Moreau",
        object_type="order",
        object_id="CPMQK3R5B8",
        details={"from": "dns", "to": "email", "domains": ["acme.test", "www.acme.test"]},
    )
    log_in(client, owner)
    page = client.get(LOGS).content.decode()
    assert "Claire Moreau approved order CPMQK3R5B8" in page
    assert "<dt>Domains</dt><dd>acme.test, www.acme.test</dd>" in page and "{" not in page.split("<table")[1]
    assert "<code>order.approved</code>" not in page
    client.cookies["django_language"] = "fr"
    page = client.get(LOGS).content.decode()
    assert "Claire Moreau a approuvé la commande CPMQK3R5B8" in page and "<dt>Domaines</dt>" in page


def audit_table(page: str) -> str:
    return page.split('<table class="table audit"')[1].split("</table>")[0]


@pytest.fixture
def coded_trail(account):
    """Events whose details hold codes: statuses, a payment method, rights, amounts, ISO dates."""
    return [
        event(
            account,
            "order.status_changed",
            at(3),
            object_type="order",
            object_id="CP0001",
            details={"from": "awaiting_payment", "to": "under_verification", "note": ""},
        ),
        event(
            account,
            "order.payment_chosen",
            at(4),
            object_type="order",
            object_id="CP0001",
            details={"method": "transfer", "total_excl_vat": "1234.50", "quote": False},
        ),
        event(
            account,
            "user.rights_changed",
            at(5),
            object_type="user",
            object_id="u1",
            details={"before": ["technical"], "after": ["billing", "technical"]},
        ),
        event(
            account,
            "billing.receipt_recorded",
            at(6),
            object_type="document",
            object_id="FA2026-000001",
            details={"method": "cheque", "amount": "180.00", "received_on": "2026-03-06"},
        ),
        event(
            account,
            "dcv.method_changed",
            at(7),
            object_type="order",
            object_id="CP0001",
            details={"domain": "acme.test", "from": "dns", "to": "http"},
        ),
        event(
            account,
            "certificate.installation_tested",
            at(8),
            object_type="order",
            object_id="CP0001",
            details={"host": "www.acme.test", "port": 443, "result": "orange"},
        ),
        event(
            account,
            "login.succeeded",
            at(9),
            object_type="user",
            object_id="1",
            details={"methods": ["mfa", "password"]},
        ),
        event(
            account,
            "user.purposes_changed",
            at(10),
            object_type="user",
            object_id="1",
            details={"before": ["newsletters"], "after": ["product_news"]},
        ),
    ]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        (
            "en",
            [
                "<dt>From</dt><dd>Awaiting payment</dd>",
                "<dt>To</dt><dd>Under verification</dd>",
                "<dd>Bank transfer</dd>",
                "<dd>1,234.50\u00a0€</dd>",
                "<dd>Technical</dd>",
                "<dd>Billing, Technical</dd>",
                "<dd>Cheque</dd>",
                "<dd>180.00\u00a0€</dd>",
                "<dd>6 Mar 2026</dd>",
                "<dd>Valid with warnings</dd>",
                "<dd>second factor, password</dd>",
                "<dd>Newsletters</dd>",
                "<dd>Product news</dd>",
            ],
        ),
        (
            "fr",
            [
                "<dd>En attente de paiement</dd>",
                "<dd>En cours de vérification</dd>",
                "<dd>Virement bancaire</dd>",
                "<dd>1\u202f234,50\u00a0€</dd>",
                "<dd>Technique</dd>",
                "<dd>Facturation, Technique</dd>",
                "<dd>Chèque</dd>",
                "<dd>180,00\u00a0€</dd>",
                "<dd>06/03/2026</dd>",
                "<dd>Valide avec avertissements</dd>",
                "<dd>second facteur, mot de passe</dd>",
                "<dd>Lettres d&#x27;information</dd>",
                "<dd>Actualités produits</dd>",
            ],
        ),
    ],
)
def test_details_show_labels_amounts_and_dates_not_codes(client, owner, coded_trail, language, shown):
    """ADM-9, issue 8 point 14: statuses, payment methods, rights, DCV methods by their names in the
    reader's language, amounts in euros as the language writes them, ISO dates as days."""
    log_in(client, owner)
    client.cookies["django_language"] = language
    table = audit_table(client.get(LOGS).content.decode())
    for text in shown:
        assert text in table, (text, table[:4000])
    for code in ("awaiting_payment", "under_verification", ">transfer<", ">cheque<", "1234.50", "2026-03-06"):
        assert code not in table, code
    assert ">technical<" not in table and ">dns<" not in table and ">http<" not in table
    assert ">orange<" not in table
    assert "mfa" not in table and "product_news" not in table


def test_the_csv_keeps_the_codes_beside_the_labels(client, owner, coded_trail):
    log_in(client, owner)
    client.cookies["django_language"] = "en"
    rows = export_rows(client.get(EXPORT))
    header, body = rows[0], rows[1:]
    change = next(row for row in body if row[header.index("action")] == "order.status_changed")
    assert "From: Awaiting payment" in change[header.index("details_text")]
    assert '"from": "awaiting_payment"' in change[header.index("details")]
    payment = next(row for row in body if row[header.index("action")] == "order.payment_chosen")
    assert "Bank transfer" in payment[header.index("details_text")]
    assert '"method": "transfer"' in payment[header.index("details")]
