"""ORD-13 recommended reissues (the nightly list of JOBS-1) and ORD-14 automatic renewal pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import Order
from ..robot_forms import (
    AutoRenewalSelectionForm,
    AutoRenewalToggleForm,
    DoNotRenewForm,
    RecommendationActionForm,
)
from ..services import auto_renewal, reissue_list

PER_PAGE = 50


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def recommended_reissues(request: AuthenticatedRequest) -> HttpResponse:
    account = request.user.account
    show_hidden = request.GET.get("hidden") == "1"
    rows = reissue_list.recommendations(account, show_hidden=show_hidden)
    if request.GET.get("format") == "csv":
        response = HttpResponse(reissue_list.csv_export(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="recommended-reissues.csv"'
        return response
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    form = RecommendationActionForm(
        request.POST or None,
        choices=list(reissue_list.recommendations(account, show_hidden=True).values_list("pk", flat=True)),
    )
    if request.method == "POST":
        if form.is_valid():
            action = form.cleaned_data["action"]
            flags = {
                "hide": {"hidden": True},
                "show": {"hidden": False},
                "mute": {"notify": False},
                "unmute": {"notify": True},
            }[action]
            changed = reissue_list.set_flags(account, form.cleaned_data["selected"], **flags)
            messages.success(request, _("%(count)s row(s) updated.") % {"count": changed})
            return redirect(request.get_full_path())
        messages.error(request, _("Select at least one row and an action."))
    return render(
        request,
        "orders/reissue/recommended.html",
        {"page": page, "form": form, "show_hidden": show_hidden, "now": timezone.now()},
        status=400 if request.method == "POST" else 200,
    )


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def auto_renewal_list(request: AuthenticatedRequest) -> HttpResponse:
    account = request.user.account
    orders = auto_renewal.upcoming(account)
    page = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
    days = auto_renewal.days_before(account)
    form = AutoRenewalSelectionForm(
        request.POST or None,
        choices=[o.reference for o in page] if request.method == "GET" else _references(request),
    )
    if request.method == "POST":
        if form.is_valid():
            chosen = list(
                Order.objects.filter(
                    account=account, reference__in=form.cleaned_data["selected"]
                ).select_related("product__brand")
            )
            changed, refused = auto_renewal.set_auto_renew(
                chosen, form.cleaned_data["enabled"], user=request.user, request=request
            )
            messages.success(request, _("%(count)s order(s) changed.") % {"count": changed})
            for refusal in refused:
                messages.warning(request, refusal)
            return redirect(request.get_full_path())
        messages.error(request, _("Select at least one order and what to do."))
    rows = [(order, auto_renewal.refusal(order), auto_renewal.filing_date(order, days)) for order in page]
    return render(
        request,
        "orders/auto_renewal/list.html",
        {"page": page, "rows": rows, "days": days, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _references(request: AuthenticatedRequest) -> list[str]:
    """The references posted that belong to the account (others are refused by the form)."""
    posted = request.POST.getlist("selected")[:500]
    return list(
        Order.objects.filter(account=request.user.account, reference__in=posted).values_list(
            "reference", flat=True
        )
    )


@right_required(Right.TECHNICAL)
@require_POST
def auto_renewal_toggle(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    order = get_for_account(
        Order.objects.select_related("product__brand"), request.user.account, reference=reference
    )
    form = AutoRenewalToggleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to switch automatic renewal on or off."))
        return redirect("orders:detail", order.reference)
    changed, refused = auto_renewal.set_auto_renew(
        [order], form.cleaned_data["enabled"], user=request.user, request=request
    )
    for refusal in refused:
        messages.error(request, refusal.split(": ", 1)[-1])
    if changed:
        messages.success(
            request,
            _("Automatic renewal is on.") if form.cleaned_data["enabled"] else _("Automatic renewal is off."),
        )
    return redirect("orders:detail", order.reference)


@right_required(Right.TECHNICAL)
@require_POST
def do_not_renew_toggle(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """ORD-14: "do not renew" on or off from the status page."""
    order = get_for_account(Order.objects.all(), request.user.account, reference=reference)
    form = DoNotRenewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether this order should be renewed or not."))
        return redirect("orders:detail", order.reference)
    value = form.cleaned_data["do_not_renew"]
    if auto_renewal.set_do_not_renew(order, value, user=request.user, request=request):
        messages.success(
            request,
            _("This order will not be renewed: no reminder, no automatic renewal.")
            if value
            else _("This order may be renewed again."),
        )
    return redirect("orders:detail", order.reference)
