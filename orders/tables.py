"""Order lists as django-tables2 tables (PLAT-5, LIST-1, ADM-7, ADM-8).

`OrderTable` knows every column a user may choose; `columns_for` gives a user's choice (saved in
`User.list_columns`, ADM-8) and `order_table` builds the table with those columns in that order,
the account's custom fields (ADM-7) labelled as the account named them. Every column sorts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_tables2.data import TableQuerysetData

from accounts.models import Account
from accounts.typing import AccountUser

from .models import Certificate, Order
from .services.listing import blocking_point

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
        return format_html('<a href="{}">{}</a>', reverse("orders:detail", args=[value]), value)

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


class DeferredJoinData(TableQuerysetData):
    """A page read in two steps (issue 17, deep pages): the page's ids first, sorted and offset
    over the indexed columns alone (`order_account_<column>` indexes, account first), then those
    rows with their per-row subqueries (latest certificate, revocation). PostgreSQL would otherwise
    evaluate the subqueries of every row an OFFSET skips, so a last page would cost the whole
    account. A page in the second half of the list is read from the end in the reversed order, so
    the last page costs what the first does. `count`, when given, answers the number of rows
    (a cached count, see `orders.services.listing.list_count`) instead of a COUNT over the account."""

    def __init__(self, data: QuerySet[Order], count: Callable[[], int] | None = None) -> None:
        super().__init__(data)
        self._count = count

    def __len__(self) -> int:
        if self._count is not None and getattr(self, "_length", None) is None:
            self._length = self._count()
        return super().__len__()

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return super().__getitem__(key)
        return _DeferredPage(self.data, key, len(self))


def total_order(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """The queryset's sort with the primary key last, in the first key's direction: rows that tie
    on the sorted column keep one order across pages, and the reversed order is its exact mirror."""
    ordering = [str(field) for field in queryset.query.order_by] or ["-created_at", "-id"]
    if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
        ordering.append("-pk" if ordering[0].startswith("-") else "pk")
    return queryset.order_by(*ordering)


class _DeferredPage:
    """The rows of one slice, read on first use (pagination may slice a page it does not show)."""

    def __init__(self, queryset: QuerySet[Order], key: slice, total: int) -> None:
        self.queryset, self.key, self.total = queryset, key, total
        self._rows: list[Order] | None = None

    def _page_ids(self) -> list[int]:
        ordered = total_order(self.queryset)
        start, stop = self.key.start or 0, self.key.stop
        if stop is not None and self.total and start > self.total // 2:
            # Second half: the same rows counted from the end of the reversed order.
            ids = list(
                ordered.reverse().values_list("pk", flat=True)[max(self.total - stop, 0) : self.total - start]
            )
            ids.reverse()
            return ids
        return list(ordered.values_list("pk", flat=True)[self.key])

    def _load(self) -> list[Order]:
        if self._rows is None:
            ids = self._page_ids()
            rows = {row.pk: row for row in self.queryset.filter(pk__in=ids).order_by()} if ids else {}
            self._rows = [rows[pk] for pk in ids if pk in rows]
        return self._rows

    def __iter__(self) -> Any:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]


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
        data = DeferredJoinData(data, count)
    table = OrderTable(data, extra_columns=custom, exclude=hidden)
    table.sequence = [*shown, "..."]
    return table
