"""Account info: the top-up for the renewals due in a chosen period (LEDG-4).

Billing knows no order: the tokens each product needs come from the provider the orders side
registers (setting BILLING_RENEWAL_NEEDS_PROVIDER, see billing.topups). The page lists them with
the orders concerned, the tokens already held, the tokens to buy and, for a discontinued
product, its replacement; "Buy these tokens" opens the cart pre-filled with them.
"""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..formulas import TOKEN_FORMULAS
from ..topup_forms import RenewalPeriodForm
from ..topups import prefill_url, renewal_needs, renewal_needs_provider
from .common import formula_required


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
def topup_renewals(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: tokens needed by the renewals due in the period, and the pre-filled cart to buy them."""
    form = RenewalPeriodForm.from_query(request.GET, timezone.localdate())
    available = renewal_needs_provider() is not None
    context: dict[str, Any] = {"form": form, "available": available}
    needs = None
    if available and form.is_bound and form.is_valid():
        needs = renewal_needs(request.user.account, form.cleaned_data["start"], form.cleaned_data["end"])
    if needs is not None:
        to_buy: dict[int, int] = {}
        for need in needs:
            if need.to_buy and need.buy is not None:  # to_buy is 0 without a product to buy
                to_buy[need.buy.pk] = to_buy.get(need.buy.pk, 0) + need.to_buy
        context.update(
            needs=needs,
            buy_url=prefill_url(to_buy) if to_buy else "",
            total_needed=sum(need.quantity for need in needs),
            total_to_buy=sum(to_buy.values()),
            missing=[need for need in needs if need.buy is None],
        )
    return render(request, "billing/topup_renewals.html", context, status=400 if form.errors else 200)
