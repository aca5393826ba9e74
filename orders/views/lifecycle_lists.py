"""ORD-12: the lists of orders to clone and to migrate, and the choice of a migration's product."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from accounts.access import get_for_account, right_required
from accounts.lists import paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..lifecycle_forms import MigrationTargetForm
from ..models import OrderOrigin
from ..services.migration import (
    clonable_orders,
    clone_url,
    migrable_orders,
    migration_choices,
    migration_target,
    migration_targets,
    prefill_url,
)

PER_PAGE = 50


@right_required(Right.TECHNICAL)
def clone_list(request: AuthenticatedRequest) -> HttpResponseBase:
    page = paginate(request, clonable_orders(request.user.account), PER_PAGE)
    return render(
        request,
        "orders/clone/list.html",
        {
            "page": page,
            "rows": [{"order": order, "url": clone_url(order)} for order in page],
        },
    )


@right_required(Right.TECHNICAL)
def migrate_list(request: AuthenticatedRequest) -> HttpResponseBase:
    page = paginate(request, migrable_orders(request.user.account), PER_PAGE)
    targets = migration_targets(page)
    rows = []
    for order in page:
        target = targets[order.product_id]
        rows.append(
            {
                "order": order,
                "target": target,
                "url": prefill_url(target, order, OrderOrigin.MIGRATION) if target else "",
            }
        )
    return render(request, "orders/migrate/list.html", {"page": page, "rows": rows})


@right_required(Right.TECHNICAL)
def migrate_order(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    """Choose another product of ours than the proposed one, then go to its prefilled order form."""
    order = get_for_account(migrable_orders(request.user.account), request.user.account, reference=reference)
    choices = migration_choices(order.product)
    proposed = migration_target(order.product)
    form = MigrationTargetForm(
        request.GET or None, choices=choices, initial={"product": proposed.code if proposed else None}
    )
    if request.GET and form.is_valid():
        return redirect(prefill_url(form.cleaned_data["product"], order, OrderOrigin.MIGRATION))
    return render(request, "orders/migrate/choose.html", {"order": order, "form": form, "proposed": proposed})
