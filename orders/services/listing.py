"""LIST-1..4: what the order lists read: tabs, the latest certificate of each order, the blocking
point of a request in progress, the certificate counts and the search and period filters.

Every list is one queryset: the latest certificate's end and state are stored on the order
(`Order.latest_certificate_end`, `latest_certificate_state`), so a page costs the same number of
queries whatever its size, and a sort on them reads an index.
The search is a fragment match (`icontains`): PostgreSQL serves it from trigram indexes (migration
orders 0005), SQLite scans.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import account_cache
from accounts.models import Account

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    ListedOrder = WithAnnotations["Order", "ListedData"]

from ..models import CLOSED, DELIVERED, IN_PROGRESS, Certificate, Order, OrderStatus

S = OrderStatus

# The tabs of the order list: label and statuses (None: every status).
GROUPS: dict[str, tuple[StrOrPromise, set[str] | None]] = {
    "valid": (_("Valid products"), {str(s) for s in DELIVERED}),
    "all": (_("All products"), None),
    "in_progress": (_("In progress"), {str(s) for s in IN_PROGRESS}),
    "delivered": (pgettext_lazy("orders", "Delivered"), {str(s) for s in DELIVERED}),
    "closed": (pgettext_lazy("orders", "Closed"), {str(s) for s in CLOSED}),
}
DEFAULT_GROUP = "all"

# LIST-2: what a request in progress waits for.
BLOCKING_POINT: dict[str, StrOrPromise] = {
    S.AWAITING_APPROVAL: _("Approval by an approver of your account"),
    S.QUOTE: _("Signature of the quote"),
    S.QUOTE_SIGNED: _("Processing by our team"),
    S.AWAITING_PAYMENT: _("Payment"),
    S.PROCESSING_AWAITING_PAYMENT: _("Payment (processing goes on)"),
    S.UNDER_VERIFICATION: _("Verification by our team"),
    S.AWAITING_DCV: _("Domain validation"),
    S.DORMANT: _("Missing documents"),
}

# LIST-4: the fields a keyword is looked for in. Custom fields join when the account labels them.
SEARCH_FIELDS: dict[str, StrOrPromise] = {
    "names": _("Common name and additional names"),
    "reference": _("Our reference"),
    "customer_reference": _("Your reference"),
    "ca_reference": _("CA reference"),
    "organisation": _("Organisation"),
}
DATE_FIELDS: dict[str, StrOrPromise] = {
    "created_at": _("Ordered"),
    "delivered_at": _("Delivered"),
    "expires": _("Expires"),
}

EXPIRING_DAYS = 30
COUNTS_TTL = 300  # seconds: "expiring within 30 days" moves with time, not only with writes


def blocking_point(status: str) -> str:
    return str(BLOCKING_POINT.get(status, ""))


class ListedData(TypedDict):
    """What `orders_for` annotates on each order of a list."""

    valid_until: datetime | None
    certificate_state: str | None
    all_revoked: bool


def with_list_figures(orders: QuerySet[Order]) -> QuerySet[ListedOrder]:
    """The figures a list shows of each order: the latest certificate's end and state, and
    whether every certificate of the order is revoked."""
    of_order = Certificate.objects.filter(order=OuterRef("pk"))
    return orders.annotate(
        # Issue 17: stored on the order (kept current by its certificates' writes), so a list
        # sorted by the end reads its page from the `order_sort_latest_end` index.
        valid_until=F("latest_certificate_end"),
        certificate_state=F("latest_certificate_state"),
        # Every certificate of the order revoked: the list says so, whatever the status says.
        all_revoked=Exists(of_order) & ~Exists(of_order.exclude(state=Certificate.State.REVOKED)),
    )


def orders_for(account: Account, group: str = DEFAULT_GROUP) -> QuerySet[ListedOrder]:
    """The account's orders of a tab, with the latest certificate's end and state, in one query."""
    orders = with_list_figures(
        Order.objects.filter(account=account).select_related("product__brand", "organisation", "created_by")
    )
    statuses = GROUPS.get(group, GROUPS[DEFAULT_GROUP])[1]
    if statuses is not None:
        orders = orders.filter(status__in=statuses)
    if group == "valid":
        # Delivered and in life: a certificate of the order is valid now (LIST-1).
        live = Certificate.objects.filter(
            order=OuterRef("pk"), state=Certificate.State.VALID, not_after__gt=timezone.now()
        )
        orders = orders.filter(Exists(live))
    return orders


def search_fields(account: Account) -> list[tuple[str, str]]:
    fields = [(key, str(label)) for key, label in SEARCH_FIELDS.items()]
    fields += [(f"custom_{number}", label) for number, label in account.custom_fields]
    return fields


def search(orders: QuerySet[Order], field: str, keyword: str) -> QuerySet[Order]:
    """LIST-4: a fragment of `keyword` in `field` (case-insensitive)."""
    keyword = keyword.strip()
    if not keyword:
        return orders
    if field == "names":
        return orders.annotate(sans_text=Cast("sans", TextField())).filter(
            Q(common_name__icontains=keyword) | Q(sans_text__icontains=keyword)
        )
    if field == "organisation":
        return orders.filter(organisation__name__icontains=keyword)
    if field in {
        "reference",
        "customer_reference",
        "ca_reference",
        "custom_1",
        "custom_2",
        "custom_3",
        "custom_4",
    }:
        return orders.filter(**{f"{field}__icontains": keyword})
    return orders


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def in_period(
    orders: QuerySet[Order], field: str, date_from: date | None, date_to: date | None
) -> QuerySet[Order]:
    """LIST-4: orders ordered, delivered or ending within whole days [date_from, date_to]."""
    bounds = {}
    if date_from:
        bounds["gte"] = _day_start(date_from)
    if date_to:
        bounds["lt"] = _day_start(date_to + timedelta(days=1))
    if not bounds:
        return orders
    if field == "expires":
        # The end the list shows ("Valid until": the latest certificate's, stored on the order and
        # indexed with the account, issue 17), not any older certificate's.
        return orders.filter(**{f"latest_certificate_end__{op}": value for op, value in bounds.items()})
    if field in {"created_at", "delivered_at"}:
        return orders.filter(**{f"{field}__{op}": value for op, value in bounds.items()})
    return orders


# LIST-4: a list filtered on a date range is shown in that date's order unless the user chose a
# sort (soonest end first, latest order or delivery first), so its first page is read from the
# date's index instead of sorting every order of the range (issue 17).
DATE_SORTS = {"created_at": "-created_at", "delivered_at": "-delivered_at", "expires": "valid_until"}
DATE_SORT_FIELDS = {
    "-created_at": "-created_at",
    "-delivered_at": "-delivered_at",
    "valid_until": "latest_certificate_end",
}


def date_sort(field: str, date_from: date | None, date_to: date | None) -> str | None:
    """The table sort that follows a date filter, None when no date bound is given."""
    if not (date_from or date_to):
        return None
    return DATE_SORTS.get(field)


@dataclass(frozen=True)
class StateCounts:
    valid: int
    expiring: int
    expired: int
    revoked: int


def certificate_counts(account: Account) -> StateCounts:
    """LIST-1: the account's certificates valid, expiring within 30 days, expired and revoked.

    Cached per account (one aggregate at most every COUNTS_TTL seconds); any change of a
    certificate drops the cache (`forget_counts`), so a page never shows a count older than its
    last write, and the list itself does not recount the whole account on every request.
    """
    return account_cache.cached(
        account.pk, "certificate_counts", lambda: _count_certificates(account), COUNTS_TTL
    )


def _count_certificates(account: Account) -> StateCounts:
    now = timezone.now()
    valid = Q(state=Certificate.State.VALID, not_after__gt=now)
    counts = Certificate.objects.filter(account=account).aggregate(
        valid=Count("id", filter=valid),
        expiring=Count("id", filter=valid & Q(not_after__lte=now + timedelta(days=EXPIRING_DAYS))),
        expired=Count(
            "id",
            filter=Q(state=Certificate.State.EXPIRED) | Q(state=Certificate.State.VALID, not_after__lte=now),
        ),
        revoked=Count("id", filter=Q(state=Certificate.State.REVOKED)),
    )
    return StateCounts(**counts)


LIST_COUNT_PARAMETERS_IGNORED = ("page", "per_page", "sort")


def list_count(account: Account, query: QueryDict, orders: QuerySet[Order]) -> Callable[[], int]:
    """The number of rows of a list (tab and filters from the query string), for its pagination.

    Kept in the account's cache (`accounts.account_cache`) under the query string without its page
    and sort, so paging or sorting through a list of 100,000 orders does not count them again on
    every request; any change of an order or a certificate of the account drops it."""
    kept = sorted(
        (key, value)
        for key, values in query.lists()
        if key not in LIST_COUNT_PARAMETERS_IGNORED
        for value in values
    )
    name = "list-count:" + hashlib.sha256(repr(kept).encode()).hexdigest()[:24]
    return lambda: account_cache.cached(account.pk, name, lambda: orders.order_by().count())


def forget_all_counts() -> None:
    """Drop the cached counts of every account (a set-based job changed certificates of many)."""
    account_cache.forget_all()


def forget_counts(*account_ids: int) -> None:
    """Drop the cached counts of these accounts (a certificate was issued, revoked or expired)."""
    account_cache.forget(*account_ids)
