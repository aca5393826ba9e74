"""Your orders › Pre-validation (AUTO-1): the account's pre-validations, the request form per
authority, and the detail page. Seeing them needs the Technical or Commercial right; asking for
one needs the Technical right (ADM-2: it prepares orders) and the brand's CON-2 consent."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import get_for_account, right_required
from accounts.lists import paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from catalog.models import Brand

from ..prevalidation_forms import PreValidationForm
from ..prevalidation_models import PreValidation
from ..services.prevalidation import (
    PreValidationError,
    account_prevalidations,
    consent_refusal,
    offered_brands,
    request_prevalidation,
)


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
@require_safe
def prevalidation_list(request: AuthenticatedRequest) -> HttpResponseBase:
    account = request.user.account
    page = paginate(request, account_prevalidations(account))
    return render(
        request,
        "orders/prevalidation/list.html",
        {
            "page": page,
            "brands": offered_brands() if request.user.has_right(Right.TECHNICAL) else [],
        },
    )


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def prevalidation_new(request: AuthenticatedRequest, brand_code: str) -> HttpResponseBase:
    account = request.user.account
    brand = get_object_or_404(Brand, code=brand_code, active=True)
    if brand not in offered_brands():
        raise Http404  # this authority offers no pre-validation
    refused = consent_refusal(account, brand)
    form = PreValidationForm(request.POST or None, account=account, brand=brand)
    if refused is None and request.method == "POST" and form.is_valid():
        try:
            prevalidation = request_prevalidation(
                account,
                brand=brand,
                validation_type=form.cleaned_data["validation_type"],
                organisation=form.cleaned_data["organisation"],
                contact=form.cleaned_data["contact"],
                by=request.user,
                request=request,
            )
        except PreValidationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Your pre-validation request is recorded: %(brand)s will check the organisation.")
                % {"brand": brand.name},
            )
            return redirect("prevalidation:detail", prevalidation.public_id)
    status = 200 if refused is None else 403
    return render(
        request,
        "orders/prevalidation/new.html",
        {"form": form, "brand": brand, "refused": refused},
        status=status,
    )


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
@require_safe
def prevalidation_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    prevalidation = get_for_account(
        account_prevalidations(request.user.account), request.user.account, public_id=public_id
    )
    return render(
        request,
        "orders/prevalidation/detail.html",
        {"prevalidation": prevalidation, "State": PreValidation.State},
    )
