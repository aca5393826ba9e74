"""LIFE-8: add users to a delivered signature solution, priced pro rata of the days left."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..services.kinds import SignatureUserType
from ..services.lifecycle import IllegalTransition
from ..services.pricing import MAX_SIGNATURE_USERS
from ..services.signature_options import accepts_options, add_signature_users, prorata_price
from .status import load_order


class SignatureUsersForm(forms.Form):
    users = forms.IntegerField(
        label=gettext_lazy("Additional users"), min_value=1, max_value=MAX_SIGNATURE_USERS
    )
    user_type = forms.ChoiceField(label=gettext_lazy("Type of users"), choices=SignatureUserType.choices)


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def add_users(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference)
    if not accepts_options(order):
        messages.error(request, _("Options are added to a delivered signature solution only."))
        return redirect("orders:detail", order.reference)
    form = SignatureUsersForm(request.POST or None)
    quote = None
    if form.is_valid():
        price, days_left = prorata_price(
            order, form.cleaned_data["users"], form.cleaned_data["user_type"], timezone.now()
        )
        quote = {"price": price, "days_left": days_left}
        if request.method == "POST" and "confirm" in request.POST:
            try:
                invoice = add_signature_users(
                    order,
                    form.cleaned_data["users"],
                    form.cleaned_data["user_type"],
                    user=request.user,
                    request=request,
                )
            except IllegalTransition as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("The users are added; invoice %(number)s was issued.")
                    % {"number": invoice.display_number},
                )
                return redirect("orders:detail", order.reference)
    return render(
        request, "orders/actions/signature_users.html", {"order": order, "form": form, "quote": quote}
    )
