"""ORD-10: the renewal list (orders in their renewal window) and "renew another certificate"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import right_required
from accounts.lists import CountedRows, paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from catalog.models import Product

from ..lifecycle_forms import RenewOtherForm
from ..models import Order
from ..services.migration import our_products
from ..services.renewal import (
    carried_over_days,
    find_order_to_renew,
    renewable,
    renewal_candidates,
    renewal_count,
    renewal_end,
    renewal_window,
)

PER_PAGE = 50


def _row(order: Order, now: datetime, catalogue: list[Product] | None = None) -> dict[str, Any]:
    return {
        "order": order,
        "verdict": renewable(order, now, catalogue),
        "end": renewal_end(order),
        "window": renewal_window(order),
        "carried_days": carried_over_days(order, now),
    }


@right_required(Right.TECHNICAL)
def renewal_list(request: AuthenticatedRequest) -> HttpResponseBase:
    now = timezone.now()
    catalogue = our_products()
    account = request.user.account
    rows = CountedRows(renewal_candidates(account, now), renewal_count(account, now))
    page = paginate(request, rows, PER_PAGE)
    return render(
        request,
        "orders/renewal/list.html",
        {
            "page": page,
            "rows": [_row(order, now, catalogue) for order in page],
            "form": RenewOtherForm(),
        },
    )


@right_required(Right.TECHNICAL)
def renew_other(request: AuthenticatedRequest) -> HttpResponseBase:
    """Look an order up by our reference or the CA's; renewable → its prefilled renewal form."""
    form = RenewOtherForm(request.GET or None)
    row = None
    if form.is_valid():
        now = timezone.now()
        order = find_order_to_renew(request.user.account, form.cleaned_data["reference"])
        if order is None:
            form.add_error("reference", RenewOtherForm.not_found_message)
        else:
            row = _row(order, now)
            if row["verdict"].ok:
                return redirect(row["verdict"].renewal_url)
    return render(request, "orders/renewal/other.html", {"form": form, "row": row})
