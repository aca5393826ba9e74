"""AUTO-3: Your orders › Domains — the list, registering a domain ahead of an order, the domain's
page (validation state, orders, lock, live CAA lookup, validation started from the page).

Rights (ADM-2): reading like the order lists (Technical or Commercial), registering and validating
like ordering (Technical), locking and unlocking with the Administrative right. One URL and one
form per action (STYLE.md 9); another account's domain is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import get_for_account, right_required
from accounts.lists import configure_table
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from .. import dcv as checks
from ..domain_forms import DomainDcvForm, RegisterDomainForm
from ..domain_tables import DomainTable
from ..models import DcvCheck, Domain
from ..services.dcv import DcvError, run_check, source_label
from ..services.dcv_config import dcv_config
from ..services.dcv_display import check_state
from ..services.domain_registry import (
    DomainError,
    caa_report,
    domain_check,
    domain_rows,
    domain_state,
    latest_validation,
    may_lock,
    orders_using,
    register_domain,
    set_lock,
    start_domain_dcv,
)
from .dcv import report_check

LIST_RIGHTS = (Right.TECHNICAL, Right.COMMERCIAL)
PER_PAGE = 25
ORDERS_SHOWN = 50


def _domain(request: AuthenticatedRequest, name: str) -> Domain:
    return get_for_account(
        Domain.objects.select_related("organisation", "locked_by"), request.user.account, name=name
    )


@right_required(*LIST_RIGHTS)
@require_safe
def domain_list(request: AuthenticatedRequest) -> HttpResponseBase:
    search = request.GET.get("q", "")[:300]
    table = DomainTable(domain_rows(request.user.account, search=search))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "orders/domains/list.html",
        {"table": table, "search": search, "can_register": request.user.has_right(Right.TECHNICAL)},
    )


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def domain_register(request: AuthenticatedRequest) -> HttpResponseBase:
    account = request.user.account
    form = RegisterDomainForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            domain = register_domain(
                account,
                form.cleaned_data["name"],
                organisation=form.cleaned_data["organisation"],
                user=request.user,
                request=request,
            )
        except DomainError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(
                request,
                _("%(domain)s is registered: validate it below so that your orders can reuse the validation.")
                % {"domain": domain.name},
            )
            return redirect("orders:domain", domain.name)
    return render(request, "orders/domains/register.html", {"form": form}, status=400 if form.errors else 200)


def _instructions(check: DcvCheck) -> dict[str, str]:
    config = dcv_config()
    return {
        "record_name": checks.dns_record_name(check.domain),
        "cname_target": checks.cname_target(check.token, config.cname_zone),
        "http_url": checks.http_url(check.domain, check.token, config.http_port),
    }


def _page(
    request: AuthenticatedRequest,
    domain: Domain,
    *,
    form: DomainDcvForm | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponseBase:
    now = timezone.now()
    check = domain_check(domain)
    latest = latest_validation(domain)
    orders = list(orders_using(domain)[: ORDERS_SHOWN + 1])
    context: dict[str, Any] = {
        "domain": domain,
        "state": domain_state(domain, now),
        "latest": latest,
        "latest_source": source_label(latest) if latest else "",
        "check": check,
        "check_state": check_state(check, now).value if check else "",
        "instructions": _instructions(check) if check else {},
        "orders": orders[:ORDERS_SHOWN],
        "more_orders": len(orders) > ORDERS_SHOWN,
        "can_validate": request.user.has_right(Right.TECHNICAL),
        "can_lock": may_lock(request.user),
        "form": form or DomainDcvForm(initial={"method": check.method if check else None}),
        # AUTO-1: the pre-validation of the domain's organisation shows here once it exists.
        "prevalidation": None,
        **extra,
    }
    return render(request, "orders/domains/detail.html", context, status=status)


@right_required(*LIST_RIGHTS)
@require_safe
def domain_detail(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    return _page(request, _domain(request, name))


@right_required(*LIST_RIGHTS)
@require_POST
def domain_caa(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    """The live CAA lookup (RFC 8659), on the button "Check the CAA records" (guide 6.9): a POST,
    so that no crawler or prefetch makes DNS queries."""
    domain = _domain(request, name)
    return _page(request, domain, caa=caa_report(domain))


@right_required(Right.TECHNICAL)
@require_POST
def domain_dcv_start(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    domain = _domain(request, name)
    form = DomainDcvForm(request.POST)
    if form.is_valid():
        try:
            check = start_domain_dcv(domain, form.cleaned_data["method"], user=request.user, request=request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(domain)s: new random value for “%(method)s”; follow the instructions below.")
                % {"domain": domain.name, "method": check.get_method_display()},
            )
            return redirect("orders:domain", domain.name)
    return _page(request, domain, form=form, status=400)


@right_required(Right.TECHNICAL)
@require_POST
def domain_dcv_check(request: AuthenticatedRequest, name: str, pk: int) -> HttpResponseBase:
    domain = _domain(request, name)
    check = get_for_account(
        DcvCheck.objects.all(), request.user.account, pk=pk, order=None, domain=domain.name
    )
    try:
        check = run_check(check, user=request.user, request=request)
    except DcvError as exc:
        messages.error(request, exc.message)
        return redirect("orders:domain", domain.name)
    report_check(request, check)
    return redirect("orders:domain", domain.name)


def _lock(request: AuthenticatedRequest, name: str, locked: bool) -> HttpResponseBase:
    domain = set_lock(_domain(request, name), locked, user=request.user, request=request)
    if locked:
        messages.success(
            request,
            _("%(domain)s is locked: no certificate may be ordered for it.") % {"domain": domain.name},
        )
    else:
        messages.success(request, _("%(domain)s is unlocked.") % {"domain": domain.name})
    return redirect("orders:domain", domain.name)


@right_required(Right.ADMINISTRATIVE)
@require_POST
def domain_lock(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    return _lock(request, name, True)


@right_required(Right.ADMINISTRATIVE)
@require_POST
def domain_unlock(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    return _lock(request, name, False)
