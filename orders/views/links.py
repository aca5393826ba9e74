"""External order links (ORD-5): the account's list, create, disable and re-enable (Technical right),
and the public order page of a link (no login).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import get_for_account, public_view, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..action_forms import LinkForm
from ..link_forms import ExternalOrderRequest
from ..models import ExternalOrderLink
from ..services.links import (
    SUBMISSIONS_PER_HOUR,
    account_links,
    create_link,
    enabled_link,
    set_link_enabled,
    submission_allowed,
    submit_external_order,
)
from ..services.ordering import OrderError

TECHNICAL = Right.TECHNICAL
SUBMITTED = "order_link_submitted"


def public_url(link: ExternalOrderLink) -> str:
    return settings.SITE_URL + reverse("order_link:form", args=[link.token])


@right_required(TECHNICAL)
@require_safe
def link_list(request: AuthenticatedRequest) -> HttpResponseBase:
    links = list(account_links(request.user.account))
    return render(request, "orders/links/list.html", {"rows": [(link, public_url(link)) for link in links]})


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def link_new(request: AuthenticatedRequest) -> HttpResponseBase:
    account = request.user.account
    initial = {}
    if product := request.GET.get("product"):
        initial["offer"] = f"{product}:{request.GET.get('months', '12')}"
    form = LinkForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        product, months = form.cleaned_data["offer"]
        try:
            link = create_link(
                account,
                product=product,
                period_months=months,
                label=form.cleaned_data["label"],
                user=request.user,
                request=request,
            )
        except OrderError as exc:
            form.add_error("offer", exc.args[0])
        else:
            messages.success(
                request,
                _("The link “%(label)s” is ready: send it to whoever should order.") % {"label": link.label},
            )
            return redirect("orders:links")
    return render(request, "orders/links/new.html", {"form": form})


def _toggle(request: AuthenticatedRequest, pk: int, enabled: bool) -> HttpResponseBase:
    link = get_for_account(ExternalOrderLink.objects.all(), request.user.account, pk=pk)
    if set_link_enabled(link, enabled, user=request.user, request=request):
        text = (
            _("The link “%(label)s” is enabled again.") if enabled else _("The link “%(label)s” is disabled.")
        )
        messages.success(request, text % {"label": link.label})
    return redirect("orders:links")


@right_required(TECHNICAL)
@require_POST
def link_disable(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    return _toggle(request, pk, False)


@right_required(TECHNICAL)
@require_POST
def link_enable(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    return _toggle(request, pk, True)


# The public page (no login): 404 for an unknown or disabled link.


def _link_or_404(token: str) -> ExternalOrderLink:
    link = enabled_link(token)
    if link is None:
        raise Http404
    return link


@public_view
@require_http_methods(["GET", "POST"])
def public_form(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    link = _link_or_404(token)
    product = link.product
    order_request = ExternalOrderRequest(request.POST if request.method == "POST" else None, product=product)
    context = {
        "link": link,
        "product": product,
        "req": order_request,
        "period": next((p for p in product.periods.all() if p.months == link.period_months), None),
    }
    if request.method == "POST":
        if not submission_allowed(request):
            messages.error(
                request,
                _(
                    "Too many orders were sent from your address: try again in an hour "
                    "(at most %(count)d an hour)."
                )
                % {"count": SUBMISSIONS_PER_HOUR},
            )
            return render(request, "orders/links/public_form.html", context, status=429)
        if order_request.is_bot():
            return redirect("order_link:form", token=token)  # nothing placed, nothing said
        if order_request.is_valid():
            try:
                order = submit_external_order(link, order_request.data(), request=request)
            except OrderError as exc:
                messages.error(request, exc.args[0])
            else:
                request.session[SUBMITTED] = {"token": token, "reference": order.reference}
                return redirect("order_link:done", token=token)
        else:
            context["invalid"] = True
    return render(request, "orders/links/public_form.html", context)


@public_view
@require_safe
def public_done(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    link = _link_or_404(token)
    submitted = request.session.get(SUBMITTED) or {}
    if submitted.get("token") != token:
        return redirect("order_link:form", token=token)
    return render(request, "orders/links/done.html", {"link": link, "reference": submitted["reference"]})
