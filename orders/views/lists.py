"""LIST-1: the account's orders, sortable and paginated, filtered by status group."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Subquery
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.access import right_required
from accounts.lists import configure_table
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import CLOSED, DELIVERED, IN_PROGRESS, Certificate, Order
from ..tables import OrderTable

GROUPS = {
    "all": (_("All"), None),
    "in_progress": (_("In progress"), IN_PROGRESS),
    "delivered": (pgettext_lazy("orders", "Delivered"), DELIVERED),
    "closed": (pgettext_lazy("orders", "Closed"), CLOSED),
}
PER_PAGE = 25


def orders_for(account, group: str):
    """The account's orders of a status group, with the latest certificate's end and whether every
    certificate is revoked (the list says so), in one query."""
    of_order = Certificate.objects.filter(order=OuterRef("pk"))
    latest = (
        Certificate.objects.filter(order=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("not_after")[:1]
    )
    orders = (
        Order.objects.filter(account=account)
        .select_related("product__brand")
        .annotate(
            valid_until=Subquery(latest),
            all_revoked=Exists(of_order) & ~Exists(of_order.exclude(state=Certificate.State.REVOKED)),
        )
    )
    statuses = GROUPS[group][1]
    return orders if statuses is None else orders.filter(status__in=statuses)


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
def order_list(request: AuthenticatedRequest) -> HttpResponseBase:
    group = request.GET.get("group", "all")
    if group not in GROUPS:
        group = "all"
    table = OrderTable(orders_for(request.user.account, group))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "orders/list.html",
        {
            "table": table,
            "group": group,
            "groups": [(key, label) for key, (label, _s) in GROUPS.items()],
        },
    )
