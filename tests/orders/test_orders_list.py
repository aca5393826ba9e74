"""LIST-1 basic: the account's orders as a sortable, paginated table, filtered by status group."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Right
from orders.models import OrderStatus
from orders.services import issue_certificate
from tests.factories import make_user
from tests.support.orders import make_order, pass_dcv

S = OrderStatus
URL = reverse("orders:list")


def bulk_orders(account, product, count):
    for i in range(count):
        make_order(
            account,
            product,
            common_name=f"host{i}.acme.test",
            sans=[],
            status=S.DELIVERED_PAID if i % 3 == 0 else S.AWAITING_PAYMENT,
        )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_list(client, tech, account, other_account, product):
    client.force_login(tech)
    bulk_orders(account, product, 5)
    client.get(URL)  # warm the session and the user
    small = count_queries(client, URL)
    bulk_orders(account, product, 195)
    client.get(URL)  # the writes dropped the account's cached counts and badges: counted again once
    assert count_queries(client, URL) == small
    assert count_queries(client, URL + "?sort=valid_until&page=3") == small


@pytest.mark.django_db
def test_list_shows_only_the_accounts_orders_with_validity(
    client, tech, account, other_account, product, staff
):
    mine = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, customer_reference="PO-1")
    certificate = issue_certificate(pass_dcv(mine, staff), user=staff)
    theirs = make_order(other_account, product, common_name="www.globex.test")
    client.force_login(tech)
    page = client.get(URL).content.decode()
    assert reverse("orders:detail", args=[mine.reference]) in page and "PO-1" in page
    assert theirs.reference not in page and "www.globex.test" not in page
    assert 'class="badge status-delivered_paid"' in page
    assert date_format(timezone.localtime(certificate.not_after), "SHORT_DATE_FORMAT") in page


@pytest.mark.django_db
def test_filter_by_status_group(client, tech, account, product):
    progress = make_order(account, product, common_name="progress.acme.test", status=S.AWAITING_PAYMENT)
    delivered = make_order(account, product, common_name="delivered.acme.test", status=S.DELIVERED_PAID)
    closed = make_order(account, product, common_name="closed.acme.test", status=S.CANCELLED)
    client.force_login(tech)
    expectations = {
        "in_progress": progress,
        "delivered": delivered,
        "closed": closed,
    }
    for group, shown in expectations.items():
        page = client.get(URL, {"group": group}).content.decode()
        for order in (progress, delivered, closed):
            assert (order.reference in page) == (order == shown), (group, order.common_name)
    page = client.get(URL, {"group": "all"}).content.decode()
    assert all(o.reference in page for o in (progress, delivered, closed))


@pytest.mark.django_db
def test_sort_and_paginate(client, tech, account, product):
    bulk_orders(account, product, 30)
    old = make_order(account, product, common_name="aaa.acme.test", sans=[])
    old.created_at = timezone.now() - timedelta(days=30)
    old.save()
    client.force_login(tech)
    first = client.get(URL).content.decode()
    assert first.count('href="/orders/CP') == 25 and "aaa.acme.test" not in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert second.count('href="/orders/CP') == 6 and "aaa.acme.test" in second
    by_name = client.get(URL, {"sort": "common_name"}).content.decode()
    assert by_name.index("aaa.acme.test") < by_name.index("host0.acme.test")


@pytest.mark.django_db
def test_commercial_sees_the_list_billing_does_not(client, account, billing):
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(URL).status_code == 200
    client.force_login(billing)
    assert client.get(URL).status_code == 403
