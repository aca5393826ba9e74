"""LIST-1..4, ADM-7, ADM-8: tabs, counts, search, filters, exports and columns of the order list."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Certificate, Order, OrderStatus
from orders.tables import OrderTable
from tests.factories import make_product

S = OrderStatus
URL = reverse("orders:list")
CSV = reverse("orders:export_csv")
XLSX = reverse("orders:export_xlsx")
COLUMNS = reverse("orders:columns")


def add_certificate(order: Order, *, state: str = "valid", days_left: int = 300) -> Certificate:
    now = timezone.now()
    return Certificate.objects.create(
        account=order.account,
        order=order,
        serial=secrets.token_hex(8),
        pem="-",
        common_name=order.common_name,
        not_before=now - timedelta(days=10),
        not_after=now + timedelta(days=days_left),
        hash_algorithm="sha256",
        fingerprint_sha256="0" * 64,
        public_key_sha256="0" * 64,
        state=state,
    )


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def quick_order(account, product, name: str, **fields) -> Order:
    """An order without CSR work: the list only reads its columns."""
    from tests.support.orders import contacts_of

    holder, admin, tech = contacts_of(account)
    fields.setdefault("status", S.AWAITING_PAYMENT)
    return Order.objects.create(
        account=account,
        product=product,
        period_months=12,
        price_excl_vat=120,
        organisation=holder,
        admin_contact=admin,
        technical_contact=tech,
        common_name=name,
        **fields,
    )


@pytest.fixture
def orders(account, product):
    shop = quick_order(account, product, "shop.acme.test", sans=["cdn.acme.test"], customer_reference="PO-77")
    mail = quick_order(account, product, "mail.acme.test", status=S.DELIVERED_PAID, ca_reference="CA-9001")
    old = quick_order(account, product, "old.acme.test", status=S.DELIVERED_PAID)
    add_certificate(mail, days_left=20)
    add_certificate(old, state="expired", days_left=-5)
    return {"shop": shop, "mail": mail, "old": old}


@pytest.mark.django_db
def test_search_by_name_matches_common_name_and_additional_names(client, tech, orders, account, product):
    quick_order(account, product, "shop2.acme.test")
    client.force_login(tech)
    body = page(client, field="names", q="SHOP")
    assert orders["shop"].reference in body and orders["mail"].reference not in body
    # A fragment of an additional name (SAN) finds the order too; one result opens its status page.
    response = client.get(URL, {"field": "names", "q": "cdn.acme"})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[orders["shop"].reference])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "keyword", "key"),
    [("customer_reference", "po-7", "shop"), ("ca_reference", "9001", "mail"), ("reference", None, "old")],
)
def test_search_in_each_reference(client, tech, orders, field, keyword, key):
    client.force_login(tech)
    keyword = keyword or orders[key].reference[2:7]
    response = client.get(URL, {"field": field, "q": keyword})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{orders[key].reference}/")


@pytest.mark.django_db
def test_search_by_organisation_and_custom_field(client, owner, orders, account, product):
    account.custom_label_1 = "Cost centre"
    account.save()
    quick_order(account, product, "a.acme.test", custom_1="CC-42")
    quick_order(account, product, "b.acme.test", custom_1="CC-43")
    client.force_login(owner)
    body = page(client, field="custom_1", q="cc-4")
    assert "a.acme.test" in body and "b.acme.test" in body and "shop.acme.test" not in body
    assert "Cost centre" in body  # the field is offered under its label
    holder = orders["shop"].organisation.name
    assert "shop.acme.test" in page(client, field="organisation", q=holder[:4])


@pytest.mark.django_db
def test_search_never_shows_another_account(client, tech, orders, account, other_account, product):
    quick_order(account, product, "shop-b.acme.test")
    quick_order(other_account, product, "shop.globex.test")
    client.force_login(tech)
    body = page(client, field="names", q="shop")
    assert "globex" not in body
    export = b"".join(client.get(CSV, {"field": "names", "q": "shop"}).streaming_content).decode()
    assert "globex" not in export and "shop.acme.test" in export


@pytest.mark.django_db
def test_bad_search_field_is_refused_gently(client, tech, orders):
    client.force_login(tech)
    body = page(client, field="password", q="x", date_from="not-a-date")
    assert "Please correct the errors below." in body or "Select a valid choice" in body


@pytest.mark.django_db
def test_date_filters_on_ordered_and_expiry(client, tech, orders):
    Order.objects.filter(pk=orders["old"].pk).update(created_at=timezone.now() - timedelta(days=400))
    client.force_login(tech)
    today = timezone.localdate()
    body = page(client, dates="created_at", date_from=(today - timedelta(days=30)).isoformat())
    assert orders["shop"].reference in body and orders["old"].reference not in body
    body = page(
        client,
        dates="expires",
        date_from=today.isoformat(),
        date_to=(today + timedelta(days=30)).isoformat(),
    )
    assert orders["mail"].reference in body
    assert orders["old"].reference not in body and orders["shop"].reference not in body


@pytest.mark.django_db
def test_a_date_filter_shows_the_list_in_that_dates_order_unless_a_sort_is_chosen(
    client, tech, orders, account, product
):
    """LIST-4, issue 17: expiry filter → soonest end first (read from the end's index), also when
    the user hides the "Valid until" column; the export follows; a chosen sort wins; the filter
    reads the end the list shows (the latest certificate's), not a replaced certificate's."""
    soon = quick_order(account, product, "soon.acme.test", status=S.DELIVERED_PAID)
    replaced = quick_order(account, product, "replaced.acme.test", status=S.DELIVERED_PAID)
    add_certificate(soon, days_left=3)
    Order.objects.filter(pk=soon.pk).update(created_at=timezone.now() - timedelta(days=100))
    add_certificate(replaced, days_left=5)  # the first certificate, then reissued for a year:
    add_certificate(replaced, days_left=360)
    client.force_login(tech)
    today = timezone.localdate()
    window = {
        "dates": "expires",
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=30)).isoformat(),
    }
    body = page(client, **window)
    assert body.index(soon.reference) < body.index(orders["mail"].reference)  # 3 days, then 20
    assert replaced.reference not in body and orders["shop"].reference not in body
    assert client.get(URL, window).context["table"].order_by == ("valid_until",)
    export = b"".join(client.get(CSV, window).streaming_content).decode()
    assert export.index(soon.reference) < export.index(orders["mail"].reference)
    chosen = page(client, **window, sort="-valid_until")
    assert chosen.index(orders["mail"].reference) < chosen.index(soon.reference)
    tech.list_columns = {"orders": ["reference", "common_name"]}
    tech.save()
    hidden = page(client, **window)
    assert hidden.index(soon.reference) < hidden.index(orders["mail"].reference)
    tech.list_columns = {}
    tech.save()
    # No date bound: the usual newest first.
    assert client.get(URL, {"dates": "expires"}).context["table"].order_by == ("-created_at",)


@pytest.mark.django_db
def test_filters_by_product_brand_status_and_orderer(client, owner, tech, orders, account, product):
    other = make_product("dv-basic")
    mine = quick_order(account, other, "dv.acme.test", created_by=tech)
    client.force_login(owner)
    assert mine.reference in page(client, product=other.pk)
    assert orders["shop"].reference not in page(client, product=other.pk)
    assert mine.reference in page(client, brand=other.brand_id)
    body = page(client, status=S.DELIVERED_PAID)
    assert orders["mail"].reference in body and orders["shop"].reference not in body
    body = page(client, ordered_by=tech.pk)
    assert mine.reference in body and orders["shop"].reference not in body


@pytest.mark.django_db
def test_valid_tab_counts_and_in_progress_blocking_point(client, tech, orders):
    client.force_login(tech)
    body = page(client, group="valid")
    assert orders["mail"].reference in body
    assert orders["old"].reference not in body and orders["shop"].reference not in body
    counts = client.get(URL).context["counts"]
    assert (counts.valid, counts.expiring, counts.expired, counts.revoked) == (1, 1, 1, 0)
    body = page(client, group="in_progress")
    assert "Waiting for" in body and "Payment" in body


@pytest.mark.django_db
def test_counts_follow_a_new_certificate(client, tech, orders):
    client.force_login(tech)
    assert client.get(URL).context["counts"].revoked == 0
    add_certificate(orders["shop"], state="revoked")
    assert client.get(URL).context["counts"].revoked == 1


@pytest.mark.django_db
def test_sorting_every_column_keeps_the_filter(client, owner, orders):
    client.force_login(owner)
    owner.list_columns = {"orders": list(OrderTable.base_columns)}
    owner.save()
    for column in owner.list_columns["orders"]:
        for sort in (column, f"-{column}"):
            body = page(client, sort=sort, field="names", q="acme.test")
            assert orders["shop"].reference in body, sort
            assert "q=acme.test" in body  # the sort links carry the query


@pytest.mark.django_db
def test_csv_export_has_the_columns_shown_and_identifiers(client, tech, orders):
    client.force_login(tech)
    response = client.get(CSV, {"status": S.DELIVERED_PAID, "sort": "common_name"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["Our reference", "CA reference", "Your reference"]
    assert [row[0] for row in rows[1:]] == [orders["mail"].reference, orders["old"].reference]


@pytest.mark.django_db
def test_xlsx_export(client, tech, orders):
    from openpyxl import load_workbook

    client.force_login(tech)
    response = client.get(XLSX, {"field": "names", "q": "acme"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == "Our reference" and len(values) == 4


@pytest.mark.django_db
def test_exports_refuse_billing_only_users(client, billing, orders):
    client.force_login(billing)
    for url in (URL, CSV, XLSX, COLUMNS):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_user_chooses_and_orders_columns(client, tech, orders, owner):
    client.force_login(tech)
    data = {"show_common_name": "on", "position_common_name": "1", "show_ca_reference": "on"}
    data["position_ca_reference"] = "2"
    data["position_reference"] = "3"
    response = client.post(COLUMNS, data)
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.list_columns["orders"] == ["common_name", "ca_reference", "reference"]
    table = client.get(URL).context["table"]
    assert [column.name for column in table.columns] == ["common_name", "ca_reference", "reference"]
    # Saved per user: the owner still sees the defaults.
    client.force_login(owner)
    assert "product" in [column.name for column in client.get(URL).context["table"].columns]


@pytest.mark.django_db
def test_columns_need_one_besides_the_reference(client, tech):
    client.force_login(tech)
    response = client.post(COLUMNS, {})
    assert response.status_code == 200
    assert "Choose at least one column" in response.content.decode()
    tech.refresh_from_db()
    assert tech.list_columns == {}


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"page": "2"},
        {"field": "names", "q": "acme"},
        {"dates": "expires", "date_from": "2020-01-01"},
        {"group": "valid", "sort": "-valid_until"},
        {"group": "all", "sort": "organisation"},
    ],
)
def test_query_count_is_the_same_at_5_and_30_orders(client, owner, account, product, params):
    def grow(total: int) -> None:
        for i in range(Order.objects.filter(account=account).count(), total):
            order = quick_order(account, product, f"h{i}.acme.test", status=S.DELIVERED_PAID)
            add_certificate(order)

    client.force_login(owner)
    grow(5)
    client.get(URL)  # warm the session and the cached counts
    small = _queries(client, URL, params)
    grow(30)
    client.get(URL)
    assert _queries(client, URL, params) == small
    assert small <= 12


@pytest.mark.django_db
def test_menu_badge_counts_certificates_to_accept(client, tech, billing, account):
    from portal.menu import badge_counts

    certigna = make_product("certigna-ssl", brand_code="certigna")
    add_certificate(quick_order(account, certigna, "accept.acme.test", status=S.DELIVERED_PAID))
    assert badge_counts(tech)["orders:to_accept"] == 1
    assert "orders:to_accept" not in badge_counts(billing)  # no certificate lists for billing only
