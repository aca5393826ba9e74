"""ORD-8: the DCV page of an order (instructions, what the portal saw, check now, change method) and
the public confirmation page of the DCV email. One URL and one form per action (STYLE.md 9)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope

from accounts.access import get_for_account, public_view, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..dcv import validation_domain
from ..dcv_forms import ChangeMethodForm
from ..models import IN_PROGRESS, DcvCheck, Order
from ..services.dcv import (
    DcvError,
    change_method,
    confirm_email,
    find_email_check,
    methods_for,
    requires_dcv,
    resend_email,
    run_check,
    start_dcv,
)
from ..services.dcv_display import CheckState, check_state, rows


def _order(request: AuthenticatedRequest, reference: str) -> Order:
    order = get_for_account(
        Order.objects.select_related("product__brand", "account", "organisation"),
        request.user.account,
        reference=reference,
    )
    if not requires_dcv(order):
        raise Http404  # no domain to validate for this product (ORD-4)
    return order


def _check(request: AuthenticatedRequest, order: Order, pk: int) -> DcvCheck:
    check = get_for_account(DcvCheck.objects.all(), request.user.account, pk=pk, order=order)
    check.order = order
    return check


def _page(
    request: AuthenticatedRequest,
    order: Order,
    forms: dict[int, ChangeMethodForm] | None = None,
    status: int = 200,
) -> HttpResponseBase:
    can_change = request.user.has_right(Right.TECHNICAL) and order.status in IN_PROGRESS
    methods = methods_for(order)
    lines = rows(order)
    for line in lines:
        line.form = (forms or {}).get(line.check.pk) or ChangeMethodForm(check=line.check, methods=methods)
    return render(
        request,
        "orders/dcv/order.html",
        {
            "order": order,
            "rows": lines,
            "can_change": can_change,
            "in_progress": order.status in IN_PROGRESS,
        },
        status=status,
    )


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
def order_checks(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    """The order's validations; the first view creates those missing (orders placed before DCV)."""
    order = _order(request, reference)
    if order.status in IN_PROGRESS:
        start_dcv(order, user=request.user, request=request)
    return _page(request, order)


@right_required(Right.TECHNICAL)
@require_POST
def check_now(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponseBase:
    order = _order(request, reference)
    check = _check(request, order, pk)
    try:
        check = run_check(check, user=request.user, request=request)
    except DcvError as exc:
        messages.error(request, exc.message)
        return redirect("dcv:order", order.reference)
    report_check(request, check)
    return redirect("dcv:order", order.reference)


def report_check(request: AuthenticatedRequest, check: DcvCheck) -> None:
    """The message after "check now" (an order's DCV page, a domain's page): validated, expired,
    or not yet."""
    state = check_state(check, check.last_checked_at or check.created_at)
    if state == CheckState.PASSED:
        messages.success(request, _("%(domain)s is validated.") % {"domain": check.domain})
    elif state == CheckState.EXPIRED:
        messages.error(
            request,
            _("The random value of %(domain)s expired: ask for a new one below.") % {"domain": check.domain},
        )
    else:
        messages.warning(
            request,
            _("%(domain)s is not validated yet: see below what the portal saw.") % {"domain": check.domain},
        )


@right_required(Right.TECHNICAL)
@require_POST
def resend(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponseBase:
    order = _order(request, reference)
    check = _check(request, order, pk)
    try:
        resend_email(check, user=request.user, request=request)
    except DcvError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The email was sent again to %(address)s.") % {"address": check.email_address}
        )
    return redirect("dcv:order", order.reference)


@right_required(Right.TECHNICAL)
@require_POST
def change(request: AuthenticatedRequest, reference: str, pk: int) -> HttpResponseBase:
    order = _order(request, reference)
    check = _check(request, order, pk)
    form = ChangeMethodForm(request.POST, check=check, methods=methods_for(order))
    if form.is_valid():
        try:
            new = change_method(
                check,
                form.cleaned_data["method"],
                email_address=form.cleaned_data["email_address"],
                user=request.user,
                request=request,
            )
        except DcvError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(domain)s: new random value for “%(method)s”; follow the instructions below.")
                % {"domain": new.domain, "method": new.get_method_display()},
            )
            return redirect("dcv:order", order.reference)
    return _page(request, order, forms={check.pk: form}, status=400)


@public_view
def confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    """BR 3.2.2.4.4: the page the DCV email links to. Public: its reader is the domain's
    administrator, usually without an account here; the random value in the URL is the key.
    GET shows what is asked, POST confirms (a mail scanner following links confirms nothing)."""
    check = find_email_check(token)
    if check is None:
        raise Http404
    error = ""
    # The reader has no scope of their own (or another account's): act in the order's account.
    with scope(account=check.account_id):
        if request.method == "POST":
            try:
                check = confirm_email(check, request=request)
            except DcvError as exc:
                error = exc.message
        if check.order is None:
            raise Http404  # the domain page offers no email method (AUTO-3)
        names = [n for n in check.order.all_names if validation_domain(n) == check.domain]
        return render(
            request,
            "orders/dcv/confirm.html",
            {
                "check": check,
                "order": check.order,
                "names": names,
                "error": error,
                "confirmed": check.validated_at is not None,
                "posted": request.method == "POST",
                "expired": check.validated_at is None and check.expires_at <= timezone.now(),
            },
            status=400 if error else 200,
        )
