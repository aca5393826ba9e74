"""Paying an order from its status page (ORD-9, LEDG-4): one URL, one form.

An order approved while the tokens or the euro balance chosen at order time no longer covered it
waits for payment (orders.services.payment.record_shortfall); once the account is topped up, this
page pays it with them, through the same `settle` as an order placed without approval.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import right_required
from accounts.models import Right, User
from accounts.typing import AuthenticatedRequest

from ..services.payment import (
    PaymentError,
    awaits_holdings,
    pay_with_holdings,
    payment_summary,
    topup_url_name,
)
from .status import load_order


@right_required(Right.TECHNICAL, Right.BILLING)
@require_http_methods(["GET", "POST"])
def pay(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # right_required let only a signed-in user in
    order = load_order(request, reference)
    if not awaits_holdings(order):
        messages.info(
            request, _("Order %(reference)s has nothing left to pay here.") % {"reference": order.reference}
        )
        return redirect("orders:detail", reference=order.reference)
    if request.method == "POST":
        try:
            order = pay_with_holdings(order, user=user, request=request)
        except PaymentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Order %(reference)s is paid: it is now “%(status)s”.")
                % {"reference": order.reference, "status": order.get_status_display()},
            )
            return redirect("orders:detail", reference=order.reference)
    payment = payment_summary(order)
    return render(
        request,
        "orders/payment/pay.html",
        {
            "order": order,
            "payment": payment,
            "topup_url_name": topup_url_name(payment.method if payment else ""),
            "can_top_up": user.has_right(Right.BILLING),
        },
    )
