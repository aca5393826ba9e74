"""The API's lists cost the same number of queries whatever their size (DEVELOPERS: constant query
counts in lists)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.services.documents import LineInput, issue_invoice
from orders.models import OrderStatus
from tests.support.api import api_client, api_token
from tests.support.delivered import deliver
from tests.support.orders import make_order

LISTS = [
    "/api/v1/orders",
    "/api/v1/orders?group=valid",
    "/api/v1/invoices",
    "/api/v1/domains",
    "/api/v1/organisations",
    "/api/v1/products",
]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_rows(account, owner, product, n: int) -> None:
    for i in range(n):
        order = make_order(
            account,
            product,
            common_name=f"www{i}.acme.test",
            status=OrderStatus.UNDER_VERIFICATION,
            paid=True,
        )
        deliver(order)
        issue_invoice(account, [LineInput("SSL", Decimal("1"), Decimal("100.00"))], by=owner)


@pytest.mark.django_db
def test_lists_cost_the_same_queries_for_2_and_8_rows(account, owner, product):
    client = api_client(api_token(account, owner))
    add_rows(account, owner, product, 2)
    client.get("/api/v1/me")  # the token's "last used" write happens once a minute: done here
    for url in LISTS:  # what is kept between requests (the filters' catalogue choices) is read once here
        client.get(url)
    small = {url: queries(client, url) for url in LISTS}
    add_rows(account, owner, product, 6)
    large = {url: queries(client, url) for url in LISTS}
    assert large == small
