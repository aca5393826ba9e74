"""Account info: the rebates of a Rebate account (LEDG-1, LEDG-2): the current quarter and the last
four closed ones, and their recovery as a promo code or by invoicing us."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import right_required
from accounts.models import Account, Right
from accounts.typing import AuthenticatedRequest

from ..money_forms import RebateInvoiceForm
from ..services.rebates import RebateError, overview, recover_as_promo_code, recover_by_invoice
from .common import formula_required

REBATE = (Account.Formula.REBATE,)


def _page(
    request: AuthenticatedRequest, invoice_form: RebateInvoiceForm, status: int = 200
) -> HttpResponseBase:
    return render(
        request,
        "billing/rebates.html",
        {
            "overview": overview(request.user.account),
            "invoice_form": invoice_form,
        },
        status=status,
    )


@right_required(Right.BILLING)
@formula_required(*REBATE)
def rebates(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: the rebate statement."""
    return _page(request, RebateInvoiceForm())


@right_required(Right.BILLING)
@formula_required(*REBATE)
@require_POST
def rebates_promo_code(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: every recoverable rebate becomes one promo code, shown at once."""
    try:
        promo = recover_as_promo_code(request.user.account, request.user, request=request)
    except RebateError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Your promo code %(code)s of %(amount)s EUR excl. VAT is ready; it is valid "
                "until %(date)s and can be used once."
            )
            % {
                "code": promo.code,
                "amount": promo.value,
                "date": formats.date_format(promo.valid_until, "DATE_FORMAT"),
            },
        )
    return redirect("account_info:rebates")


@right_required(Right.BILLING)
@formula_required(*REBATE)
@require_POST
def rebates_invoice(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: the customer invoices us the recoverable rebates; the number of their invoice is kept."""
    form = RebateInvoiceForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        total = recover_by_invoice(
            request.user.account, request.user, reference=form.cleaned_data["reference"], request=request
        )
    except RebateError as error:
        form.add_error("reference", str(error))
        return _page(request, form, status=400)
    messages.success(
        request,
        _(
            "Recorded: your invoice %(reference)s of %(amount)s EUR excl. VAT. We pay it "
            "within 30 days end of month, on the 10th."
        )
        % {"reference": form.cleaned_data["reference"], "amount": total},
    )
    return redirect("account_info:rebates")
