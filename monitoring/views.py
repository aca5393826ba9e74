"""The installation test page (LIFE-4), opened from a certificate on the order's status page."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from orders.models import Certificate

from . import network
from .forms import InstallationTestForm
from .services import allow_test, default_host, last_checks, run_installation_check, tests_per_minute


def load_certificate(request: AuthenticatedRequest, reference: str, serial: str) -> Certificate:
    """A certificate of one of the account's orders, or 404."""
    return get_for_account(
        Certificate.objects.select_related("order"),
        request.user.account,
        order__reference=reference,
        serial=serial,
    )


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
@require_http_methods(["GET", "POST"])
def installation_test(request: AuthenticatedRequest, reference: str, serial: str) -> HttpResponseBase:
    certificate = load_certificate(request, reference, serial)
    allow_private = network.allow_private_default()
    status, refusal = 200, ""
    if request.method == "POST" and not allow_test(request.user):
        # Counted before validating, as validating resolves the name: the form comes back unbound,
        # with what was typed, and is not checked.
        typed = {name: request.POST.get(name, "") for name in ("host", "port", "starttls")}
        form = InstallationTestForm(initial=typed, allow_private=allow_private)
        refusal = _("You ran %(count)s tests in the last minute: wait a moment before the next one.") % {
            "count": tests_per_minute()
        }
        status = 429
    elif request.method == "POST":
        form = InstallationTestForm(request.POST, allow_private=allow_private)
        if form.is_valid():
            run_installation_check(
                certificate=certificate,
                user=request.user,
                request=request,
                host=form.cleaned_data["host"],
                port=form.cleaned_data["port"],
                starttls=form.cleaned_data["starttls"],
            )
            return redirect(request.path + "#result")
    else:
        form = InstallationTestForm(
            initial={"host": default_host(certificate), "port": 443, "starttls": ""},
            allow_private=allow_private,
        )
    checks = last_checks(certificate)
    return render(
        request,
        "monitoring/installation.html",
        {
            "certificate": certificate,
            "order": certificate.order,
            "form": form,
            "refusal": refusal,
            "latest": checks[0] if checks else None,
            "checks": checks,
        },
        status=status,
    )
