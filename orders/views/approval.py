"""Approval mode (ORD-5, LIST-3): the approvers' list, approve, cancel with a reason.

Only users holding the Approval right see and act; an order that no longer awaits approval sends
the approver back to its status page with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..action_forms import CancelForm
from ..models import Order, OrderStatus
from ..services.actions import cancel_order
from ..services.amounts import order_amounts
from ..services.approval import (
    approval_refusal,
    approve_order,
    orderer_name,
    pending_orders,
    status_after_approval,
)
from ..services.lifecycle import IllegalTransition
from .status import load_order

APPROVAL = Right.APPROVAL


@right_required(APPROVAL)
@require_safe
def approval_list(request: AuthenticatedRequest) -> HttpResponseBase:
    """LIST-3: the orders awaiting approval, oldest first."""
    orders = list(pending_orders(request.user.account))
    # A token payment shows its tokens, not euros (issue 8 point 7), as the status page does.
    rows = [(order, orderer_name(order), order_amounts(order)) for order in orders]
    return render(request, "orders/approval/list.html", {"rows": rows})


def _awaiting(request: AuthenticatedRequest, reference: str) -> tuple[Order, HttpResponseRedirect | None]:
    order = load_order(request, reference)
    refusal = approval_refusal(order)
    if refusal is None:
        return order, None
    # Already approved is news, not an error; gone on otherwise (cancelled meanwhile) is one.
    (messages.info if order.approved_at is not None else messages.error)(request, refusal)
    return order, redirect("orders:detail", reference=order.reference)


@right_required(APPROVAL)
@require_http_methods(["GET", "POST"])
def approve(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order, refused = _awaiting(request, reference)
    if refused is not None:
        return refused
    if request.method == "POST":
        try:
            order = approve_order(order, user=request.user, request=request)
        except IllegalTransition as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Order %(reference)s is approved: it is now “%(status)s”.")
                % {"reference": order.reference, "status": order.get_status_display()},
            )
        return redirect("orders:detail", reference=order.reference)
    return render(
        request,
        "orders/approval/approve.html",
        {
            "order": order,
            "ordered_by": orderer_name(order),
            "amounts": order_amounts(order),  # tokens for a token payment, as the status page says
            "next_status": OrderStatus(status_after_approval(order)).label,
        },
    )


@right_required(APPROVAL)
@require_http_methods(["GET", "POST"])
def approval_cancel(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    """ORD-5: the approver refuses the order: it is cancelled with their reason."""
    order, refused = _awaiting(request, reference)
    if refused is not None:
        return refused
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = cancel_order(order, form.cleaned_data["reason"], user=request.user, request=request)
        except IllegalTransition as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Order %(reference)s is cancelled.") % {"reference": order.reference})
        return redirect("orders:approval")
    return render(
        request,
        "orders/approval/cancel.html",
        {"order": order, "form": form, "ordered_by": orderer_name(order)},
    )
