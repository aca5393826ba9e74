"""Account info: the default billing address (ADM-5 accounting part, ORD-2).

Invoices and quotes show the head-office address of the account holder unless a billing address
is set here (or given on an order). Emptying the form goes back to the head office.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import right_required
from accounts.audit import log_action
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..money_forms import BillingAddressForm
from ..services.ledger import billing_profile


@right_required(Right.BILLING)
def billing_address(request: AuthenticatedRequest) -> HttpResponse:
    account = request.user.account
    profile = billing_profile(account)
    form = BillingAddressForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        log_action(
            "billing.address_changed",
            account=account,
            user=request.user,
            request=request,
            obj=profile,
            city=profile.billing_city,
            country=profile.billing_country,
        )
        messages.success(request, _("The billing address is saved; new invoices use it."))
        return redirect("account_info:billing_address")
    holder = account.holder
    return render(request, "billing/billing_address.html", {"form": form, "holder": holder})
