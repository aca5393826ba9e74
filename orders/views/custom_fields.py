"""ADM-7: change the custom fields of an order from its status page (one URL, one form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import right_required
from accounts.models import Account, Right
from accounts.typing import AuthenticatedRequest

from ..services.custom_fields import set_custom_fields
from .status import load_order


class CustomFieldsForm(forms.Form):
    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, label in account.custom_fields:
            self.fields[f"custom_{number}"] = forms.CharField(label=label, max_length=200, required=False)


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def custom_fields(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    order = load_order(request, reference)
    account = request.user.account
    initial = {
        f"custom_{number}": getattr(order, f"custom_{number}") for number, _label in account.custom_fields
    }
    form = CustomFieldsForm(
        request.POST if request.method == "POST" else None, account=account, initial=initial
    )
    if form.is_valid():
        if set_custom_fields(order, form.cleaned_data, user=request.user, request=request):
            messages.success(
                request,
                _("The custom fields of order %(reference)s are saved.") % {"reference": order.reference},
            )
        return redirect("orders:detail", reference=order.reference)
    return render(request, "orders/custom_fields.html", {"order": order, "form": form})
