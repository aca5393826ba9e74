"""Accounting menu: deposit coupons with their refund request (ACCT-4) and promo codes (ACCT-5)."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_for_account, right_required
from accounts.lists import configure_table
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import Coupon
from ..money_forms import promo_filter
from ..money_tables import CouponTable, PromoCodeTable
from ..services.coupons import CouponError, request_refund
from ..services.promos import account_promo_codes, promo_codes_for_home
from .accounting import PER_PAGE
from .common import export_url, table_csv_response


def _coupons(request: AuthenticatedRequest) -> HttpResponseBase:
    return Coupon.objects.filter(account=request.user.account).select_related("parent")


@right_required(Right.BILLING)
def coupons(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-4: number, origin, where used, amount and state of each coupon; refund requests."""
    table = CouponTable(_coupons(request))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "billing/coupons.html",
        {
            "table": table,
            "export_url": export_url("billing:coupons_csv", request),
        },
    )


@right_required(Right.BILLING)
def coupons_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    return table_csv_response(CouponTable(_coupons(request)), "deposit-coupons.csv", request)


@right_required(Right.BILLING)
@require_POST
def coupon_refund(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ACCT-4: ask for the refund of one valid coupon (staff are emailed)."""
    coupon = get_for_account(Coupon.objects.all(), request.user.account, public_id=public_id)
    try:
        request_refund(coupon, request.user, request=request)
    except CouponError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Your refund request for coupon %(number)s is recorded. We will ask you for "
                "your bank details (RIB) by email."
            )
            % {"number": coupon.number},
        )
    return redirect("billing:coupons")


@right_required(Right.BILLING)
def promo_codes(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-5: the account's promo codes by state, with where and when each was used."""
    form = promo_filter(request.GET)
    table = PromoCodeTable(account_promo_codes(request.user.account, form.selected))
    configure_table(request, table, PER_PAGE)
    expiring = [code for code in promo_codes_for_home(request.user.account) if code.expiring_soon]
    return render(
        request,
        "billing/promo_codes.html",
        {
            "form": form,
            "table": table,
            "expiring": expiring,
            "export_url": export_url("billing:promo_codes_csv", request),
        },
    )


@right_required(Right.BILLING)
def promo_codes_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    form = promo_filter(request.GET)
    return table_csv_response(
        PromoCodeTable(account_promo_codes(request.user.account, form.selected)), "promo-codes.csv", request
    )
