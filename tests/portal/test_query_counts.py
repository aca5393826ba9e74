"""Issue 17: a page runs the same number of queries, at most MAX_QUERIES, whatever the size of the
account: home, every order list page (first and last page, search, date filter, every sort), an
order's status page and the accounting pages, each measured for an account of SMALL orders and one
of LARGE orders (invoices alike). Counts only: no time is measured here (bench/ does that).

Each page is asked twice before it is measured: the first request counts the account's figures
(menu badges, list counts, home blocks) into the cache, as the first request after any change
does; the measured request is the one every other request looks like. A second test checks the
first request after a change costs the same at both sizes too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Right
from billing.services import documents as document_services
from billing.services.documents import LineInput, issue_invoice
from orders.models import Certificate, Order, OrderStatus, refresh_certificate_ends
from orders.tables import OrderTable
from tests.factories import make_account, make_product, make_user
from tests.support.delivered import deliver
from tests.support.orders import contacts_of, make_order

pytestmark = pytest.mark.django_db

S = OrderStatus
SMALL, LARGE = 6, 30  # the small account has an order of every status of STATUSES
MAX_QUERIES = 12
STATUSES = [S.DELIVERED_PAID, S.DELIVERED_NOT_PAID, S.AWAITING_PAYMENT, S.AWAITING_APPROVAL, S.CANCELLED]


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(document_services, "render_document_pdf", lambda document: b"%PDF-1.4 test")


def build(name: str, size: int) -> tuple[Account, str]:
    """An account with `size` orders in the lists' shapes (every status, certificates for the
    delivered ones, custom field, references), as many invoices, and its super user; returns the
    account and the reference of a delivered order (for its status page)."""
    account = make_account(name, domain=f"{name.lower()}.test", custom_label_1="Cost centre")
    owner = make_user(account, f"{name.lower()}-owner", superuser=True)
    product = make_product(f"{name.lower()}-dv")
    delivered = deliver(make_order(account, product, common_name=f"first.{name.lower()}.test"))
    holder, admin, tech = contacts_of(account)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            account=account,
            product=product,
            period_months=12,
            price_excl_vat=Decimal("120.00"),
            status=STATUSES[i % len(STATUSES)],
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name=f"host{i}.{name.lower()}.test",
            sans=[f"alt{i}.{name.lower()}.test"] if i % 2 else [],
            customer_reference=f"PO-{i:04d}",
            ca_reference=f"CA-{i:04d}",
            custom_1=f"CC-{i % 4}",
            created_by=owner,
            created_at=now - timedelta(days=i),
            delivered_at=now - timedelta(days=i)
            if STATUSES[i % len(STATUSES)] in {S.DELIVERED_PAID}
            else None,
        )
        for i in range(size - 1)
    )
    fields = {
        f.attname: getattr(delivered, f.attname)
        for f in Certificate._meta.concrete_fields
        if f.attname not in {"id", "order_id", "serial"}
    }
    Certificate.objects.bulk_create(
        Certificate(**{**fields, "order_id": order.pk, "serial": f"{order.pk:040x}"})
        for order in orders
        if order.status == S.DELIVERED_PAID
    )
    refresh_certificate_ends([order.pk for order in orders])  # bulk_create sends no signal
    lines = [LineInput("SSL DV – 1 year", 1, Decimal("100.00"))]
    for i in range(size):
        issue_invoice(account, lines, due_days=30, paid=i % 2 == 0)
    return account, delivered.order.reference


@pytest.fixture
def accounts(client):
    built = {size: build(f"Size{size}", size) for size in (SMALL, LARGE)}
    return built


def queries(client, url: str) -> int:
    client.get(url)  # the account's figures are counted once after a change, then kept
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def user_of(account: Account):
    return account.users.get(is_account_superuser=True)


def list_urls() -> list[str]:
    today = timezone.localdate()
    urls = [
        "/orders/",
        "/orders/?page=1&per_page=25",
        "/orders/?page=999",  # clamped to the last page
        "/orders/?per_page=25&page=2",
        "/orders/?group=valid",
        "/orders/?group=in_progress",
        "/orders/?group=closed",
        "/orders/?field=names&q=test",
        "/orders/?field=customer_reference&q=PO-",
        "/orders/?field=custom_1&q=CC-",
        f"/orders/?dates=created_at&date_from={today - timedelta(days=60)}",
        f"/orders/?dates=expires&date_from={today}&date_to={today + timedelta(days=400)}",
        "/orders/approval/",
        "/orders/to-accept/",
    ]
    for column in OrderTable.base_columns:
        urls += [f"/orders/?sort={column}", f"/orders/?sort=-{column}&page=999"]
    return urls


def compare(client, accounts, urls_for) -> list[str]:
    """The pages whose query count differs between the sizes or exceeds MAX_QUERIES."""
    counts: dict[int, list[int]] = {}
    for size, (account, reference) in accounts.items():
        client.force_login(user_of(account))
        counts[size] = [queries(client, url) for url in urls_for(reference)]
    return [
        f"{url}: {small} queries at {SMALL} orders, {large} at {LARGE}"
        for url, small, large in zip(urls_for("<order>"), counts[SMALL], counts[LARGE], strict=True)
        if small != large or large > MAX_QUERIES
    ]


def test_home_and_status_page(client, accounts):
    assert compare(client, accounts, lambda reference: ["/home/", f"/orders/{reference}/"]) == []


def test_every_order_list_page(client, accounts):
    assert compare(client, accounts, lambda reference: list_urls()) == []


def test_accounting_pages(client, accounts):
    urls = [
        "/accounting/",
        "/accounting/?page=999",
        "/accounting/unpaid/",
        "/accounting/quotes/",
        "/account/statements/",
        "/account/consumption/",
    ]
    assert compare(client, accounts, lambda reference: urls) == []


def test_renewal_and_reissue_lists(client, accounts):
    """ORD-10, ORD-11: the renewal list (every certificate ending within the window) and the
    reissue list, first and last page, in as many queries at both sizes; the rows are there."""
    soon = timezone.now() + timedelta(days=40)
    for account, _reference in accounts.values():
        Certificate.objects.filter(account=account).update(not_after=soon)
    urls = [
        "/operations/renewals/",
        "/operations/renewals/?per_page=25&page=999",
        "/operations/reissue/",
        "/operations/reissue/?per_page=25&page=999",
    ]
    assert compare(client, accounts, lambda reference: urls) == []
    account, _reference = accounts[LARGE]
    client.force_login(user_of(account))
    delivered = Order.objects.filter(account=account, status=S.DELIVERED_PAID).count()
    assert client.get("/operations/renewals/").context["page"].paginator.count == delivered
    assert client.get("/operations/reissue/").context["page"].paginator.count == delivered


def test_the_first_request_after_a_change_costs_the_same_at_both_sizes(client, accounts):
    """A write drops the account's figures: the next request counts them again, in the same
    number of queries at both sizes (one per figure, never one per row)."""
    counts: dict[int, int] = {}
    for size, (account, reference) in accounts.items():
        client.force_login(user_of(account))
        client.get("/home/")
        Order.objects.get(reference=reference).save()  # any change of an order of the account
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/home/").status_code == 200
        counts[size] = len(ctx.captured_queries)
    assert counts[SMALL] == counts[LARGE]


def test_a_change_shows_at_once_in_the_badges(client, accounts):
    """The cached badges are dropped by the service's write: an order put in approval shows in the
    "Awaiting approval" badge on the next page, not minutes later."""
    account, _reference = accounts[SMALL]
    approver = make_user(account, "approver-small", rights=[Right.APPROVAL, Right.TECHNICAL])
    client.force_login(approver)
    before = client.get("/home/").context["awaiting_approval"]
    order = Order.objects.filter(account=account).exclude(status=S.AWAITING_APPROVAL).first()
    order.status = S.AWAITING_APPROVAL
    order.save()
    after = client.get("/home/").context["awaiting_approval"]
    assert after == before + 1
