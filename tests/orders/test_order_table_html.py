"""Issue 17: the order list's rows written by the portal's fast cell path (`{% table_rows %}`,
accounts/templatetags/portal_tables.py) are the HTML django-tables2's own template writes, for
every column a user may choose, in both languages."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django_scopes import scope

from orders.models import OrderStatus
from orders.services import listing
from orders.tables import LIST_NAME, available_columns, order_table
from tests.orders.test_order_lists_search import add_certificate, quick_order

pytestmark = pytest.mark.django_db


def rendered(table, template_name: str, rf) -> str:
    table.template_name = template_name
    page = Template("{% load django_tables2 %}{% render_table table %}")
    html = page.render(Context({"request": rf.get("/orders/"), "table": table}))
    return " ".join(html.split()).replace("> <", "><")


def test_every_column_writes_django_tables2s_html(rf, owner, account, product):
    account.custom_label_1 = "Cost <centre>"
    account.save()
    shop = quick_order(
        account, product, "shop.acme.test", sans=["cdn.acme.test", "<x>"], customer_reference="PO<77>"
    )
    mail = quick_order(
        account, product, "mail.acme.test", status=OrderStatus.DELIVERED_PAID, ca_reference="CA-9"
    )
    gone = quick_order(
        account, product, "gone.acme.test", status=OrderStatus.DELIVERED_PAID, custom_1="CC & 1"
    )
    add_certificate(mail, days_left=20)
    add_certificate(gone, state="revoked", days_left=100)  # every certificate revoked: "Revoked"
    shop.server_software = "nginx"
    shop.save()
    owner.list_columns = {LIST_NAME: [name for name, _label in available_columns(account)]}
    owner.save()
    with scope(account=account.pk):
        for language in ("en", "fr"):
            with translation.override(language):
                tables = [
                    order_table(owner, listing.orders_for(account), extra=("blocking",)) for _ in range(2)
                ]
                for table in tables:
                    table.paginate(per_page=25)
                ours = rendered(tables[0], "django_tables2/portal.html", rf)
                theirs = rendered(tables[1], "django_tables2/bootstrap5.html", rf)
                assert ours == theirs
                assert ours.count("<tr ") == 3  # three orders
    assert "PO&lt;77&gt;" in ours and "cdn.acme.test, &lt;x&gt;" in ours and "CC &amp; 1" in ours
    assert "status-revoked" in ours and "nginx" in ours


def test_every_column_shown_reads_no_query_per_row(client, owner, account, product):
    """The page's rows load only the fields and joins the shown columns read: none is read later."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    account.custom_label_2 = "Project"
    account.save()
    owner.list_columns = {LIST_NAME: [name for name, _label in available_columns(account)]}
    owner.save()
    client.force_login(owner)

    def queries() -> int:
        client.get(reverse("orders:list"))  # the account's figures are kept after the first
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("orders:list"))
        assert response.status_code == 200
        return len(captured)

    for n in range(2):
        add_certificate(quick_order(account, product, f"a{n}.acme.test", custom_2="P1"))
    few = queries()
    for n in range(6):
        quick_order(
            account, product, f"b{n}.acme.test", server_software="nginx", status=OrderStatus.DELIVERED_PAID
        )
    assert queries() == few


def test_the_status_page_link_is_the_reversed_url():
    from django.urls import reverse

    from orders.tables import detail_url

    assert detail_url("CPX12AB") == reverse("orders:detail", args=["CPX12AB"])
