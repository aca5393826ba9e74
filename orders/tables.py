"""Order lists as django-tables2 tables (PLAT-5, LIST-1, ADM-7, ADM-8).

`OrderTable` knows every column a user may choose; `columns_for` gives a user's choice (saved in
`User.list_columns`, ADM-8) and `order_table` builds the table with those columns in that order,
the account's custom fields (ADM-7) labelled as the account named them. Every column sorts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.lists import DeferredJoinData, row_url
from accounts.models import Account
from accounts.prepared import prepared_list
from accounts.typing import AccountUser

from .models import Certificate, Order
from .services.listing import blocking_point, with_list_figures

LIST_NAME = "orders"
CUSTOM_COLUMNS = ("custom_1", "custom_2", "custom_3", "custom_4")
DEFAULT_COLUMNS = [
    "reference",
    "customer_reference",
    "common_name",
    "product",
    "brand",
    "status",
    "created_at",
    "valid_until",
]
REQUIRED_COLUMNS = ("reference",)  # the link to the status page is always there
RELATED_COLUMNS = {"organisation": "organisation", "ordered_by": "created_by"}  # column: relation it reads


class OrderTable(tables.Table):
    reference = tables.Column(verbose_name=_("Our reference"))
    customer_reference = tables.Column(verbose_name=_("Your reference"))
    ca_reference = tables.Column(verbose_name=_("CA reference"))
    common_name = tables.Column(verbose_name=_("Common name"))
    sans = tables.Column(verbose_name=_("Additional names"))
    organisation = tables.Column(
        verbose_name=_("Organisation"), accessor="organisation__name", order_by=("organisation__name",)
    )
    # Issue 17: the names stored on the order (kept current by renames), sorted over their indexes.
    product = tables.Column(verbose_name=_("Product"), accessor="product_name", order_by=("product_name",))
    brand = tables.Column(verbose_name=_("Brand"), accessor="brand_name", order_by=("brand_name",))
    server_software = tables.Column(verbose_name=_("Software"))
    ordered_by = tables.Column(
        verbose_name=_("Ordered by"), accessor="created_by__username", order_by=("created_by__username",)
    )
    created_at = tables.DateColumn(verbose_name=_("Ordered"), format="SHORT_DATE_FORMAT")
    delivered_at = tables.DateColumn(verbose_name=_("Delivered"), format="SHORT_DATE_FORMAT", default="—")
    valid_until = tables.DateColumn(verbose_name=_("Valid until"), format="SHORT_DATE_FORMAT", default="—")
    certificate_state = tables.Column(verbose_name=_("Certificate"), default="—")
    status = tables.Column(verbose_name=_("Status"))
    blocking = tables.Column(verbose_name=_("Waiting for"), accessor="status", order_by=("status",))

    class Meta:
        model = Order
        fields = [
            "reference",
            "customer_reference",
            "ca_reference",
            "common_name",
            "sans",
            "organisation",
            "product",
            "brand",
            "server_software",
            "ordered_by",
            "created_at",
            "delivered_at",
            "valid_until",
            "certificate_state",
            "status",
            "blocking",
        ]
        order_by = "-created_at"
        empty_text = _("No order matches.")
        attrs = {"class": "table orders"}

    def render_reference(self, value: str, record: Order) -> SafeString:
        return format_html('<a href="{}">{}</a>', detail_url(value), value)

    def render_status(self, value: str, record: Order) -> SafeString:
        if getattr(record, "all_revoked", False):
            # Every certificate of the order is revoked: none of them is usable, whatever the status says.
            return format_html('<span class="badge status-revoked">{}</span>', pgettext("order", "Revoked"))
        return format_html('<span class="badge status-{}">{}</span>', record.status, value)

    def render_sans(self, value: list[str], record: Order) -> str:
        return ", ".join(value) if value else "—"

    def render_certificate_state(self, value: str, record: Order) -> str:
        return str(Certificate.State(value).label)

    def render_blocking(self, value: str, record: Order) -> str:
        return blocking_point(record.status) or "—"


def detail_url(reference: str) -> str:
    """An order's status page (issue 17: a link per row)."""
    return row_url("orders:detail", reference)


def _loaded_fields(shown: list[str]) -> list[str]:
    """The order's fields the shown columns read (a relation's key for a related column), with
    the reference and the status that the row's link and badge need."""
    concrete = {field.name for field in Order._meta.concrete_fields}
    fields = {"reference", "status"}
    for name in shown:
        column = OrderTable.base_columns.get(name)
        accessor = str(column.accessor) if column is not None and column.accessor else name
        first = accessor.split("__")[0]
        if first in concrete:
            fields.add(first)
    return sorted(fields)


def _page_rows(account_id: int, related: list[str], fields: list[str], ids: list[int]) -> list[Order]:
    """A page's orders by id with the list's figures and the shown columns' fields and joins, by
    SQL compiled once per process for each set of columns (issue 17, load)."""

    def rows(account_id: int, ids: tuple[int, ...]) -> QuerySet[Order]:
        orders = with_list_figures(Order.objects.filter(account_id=account_id, pk__in=ids)).only(*fields)
        return orders.select_related(*related) if related else orders  # (no argument would join them all)

    key = f"order-list-page:{','.join(related)}:{','.join(fields)}"
    return prepared_list(key, Order, rows, account_id=account_id, ids=tuple(ids))


def available_columns(account: Account) -> list[tuple[str, str]]:
    """(name, label) of every column a user of this account may choose, custom fields included."""
    base = [(name, str(column.verbose_name)) for name, column in OrderTable.base_columns.items()]
    return base + [(f"custom_{number}", label) for number, label in account.custom_fields]


def columns_for(user: AccountUser) -> list[str]:
    """ADM-8: the user's columns in their order; the defaults until they choose."""
    known = {name for name, _label in available_columns(user.account)}
    chosen = [name for name in user.list_columns.get(LIST_NAME, []) if name in known]
    if not chosen:
        chosen = list(DEFAULT_COLUMNS)
    for name in REQUIRED_COLUMNS:
        if name not in chosen:
            chosen.insert(0, name)
    return chosen


def order_table(
    user: AccountUser, data: Any, *, extra: tuple[str, ...] = (), count: Callable[[], int] | None = None
) -> OrderTable:
    """The table of `data` with the user's columns (plus `extra`, e.g. the blocking point);
    `count` answers the number of rows of a paginated table (a cached count)."""
    account = user.account
    shown = columns_for(user) + [name for name in extra if name not in columns_for(user)]
    custom = [
        (f"custom_{number}", tables.Column(verbose_name=label, accessor=f"custom_{number}", default="—"))
        for number, label in account.custom_fields
    ]
    hidden = [name for name in OrderTable.base_columns if name not in shown]
    hidden += [name for name, _column in custom if name not in shown]
    if isinstance(data, QuerySet):
        # The page's rows join only the relations a shown column reads (issue 17, load): the
        # product's and brand's names are stored on the order.
        related = [RELATED_COLUMNS[name] for name in shown if name in RELATED_COLUMNS]
        data = DeferredJoinData(
            data, count, page_rows=functools.partial(_page_rows, account.pk, related, _loaded_fields(shown))
        )
    table = OrderTable(data, extra_columns=custom, exclude=hidden)
    table.sequence = [*shown, "..."]
    return table
