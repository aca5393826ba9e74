"""ORD-1: the new order page: quick access, the catalogue by type with a button per period and price,
signature solutions at the bottom."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.shortcuts import render

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..services.new_order_page import new_order_page


@right_required(Right.TECHNICAL)
def new_order(request: AuthenticatedRequest) -> HttpResponseBase:
    """Every active product orders through the same flow (ORD-2, ORD-4); data in constant queries."""
    return render(
        request,
        "orders/new_order.html",
        {
            "page": new_order_page(request.user.account),
            # CON-2: who may open the data processing page a refused product links to.
            "can_decide": request.user.has_right(Right.ADMINISTRATIVE),
        },
    )
