"""Administration › ACME (AUTO-2, /administration/acme/): list, create, disable, enable, revoke.

The Administrative right, as every Administration page; creating an endpoint also needs the
Technical right (its key orders certificates: nobody hands out more than they hold, issue 13) and
asks for a recent login (STYLE.md 10). The HMAC key goes through the session to the next page,
which removes it as it shows it (as API tokens do).
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import get_for_account, right_required
from accounts.lists import paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from .forms import EndpointForm
from .models import AcmeEndpoint
from .services import endpoints as services

ADMINISTRATIVE = Right.ADMINISTRATIVE
NEW_KEY_SESSION_KEY = "acme_new_endpoint_key"


def directory_url(request: AuthenticatedRequest, endpoint: AcmeEndpoint) -> str:
    return request.build_absolute_uri(reverse("acme:directory", args=[endpoint.public_id]))


def _get_endpoint(request: AuthenticatedRequest, public_id: str) -> AcmeEndpoint:
    return get_for_account(AcmeEndpoint.objects.all(), request.user.account, public_id=public_id)


@right_required(ADMINISTRATIVE)
def endpoints(request: AuthenticatedRequest) -> HttpResponseBase:
    rows = AcmeEndpoint.objects.filter(account=request.user.account).select_related(
        "product__brand", "organisation"
    )
    page = paginate(request, rows, 25)
    for endpoint in page.object_list:
        endpoint.directory = directory_url(request, endpoint)
    return render(request, "acme/endpoints.html", {"page": page})


@right_required(ADMINISTRATIVE)
@reauthentication_required
@require_http_methods(["GET", "POST"])
def endpoint_add(request: AuthenticatedRequest) -> HttpResponseBase:
    account = request.user.account
    form = EndpointForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_endpoint(
                account,
                name=data["name"],
                product=data["product"],
                period_months=data["period_months"],
                organisation=data["organisation"],
                admin_contact=data["admin_contact"],
                technical_contact=data["technical_contact"],
                by=request.user,
                request=request,
            )
        except services.EndpointError as error:
            form.add_error(None, error.message)
        else:
            endpoint = created.endpoint
            request.session[NEW_KEY_SESSION_KEY] = {
                "name": endpoint.name,
                "directory": directory_url(request, endpoint),
                "key_id": endpoint.eab_key_id,
                "hmac_key": created.hmac_key,
            }
            return redirect("acme_admin:key_shown")
    return render(request, "acme/endpoint_add.html", {"form": form})


@right_required(ADMINISTRATIVE)
@never_cache
def key_shown(request: AuthenticatedRequest) -> HttpResponseBase:
    shown = request.session.pop(NEW_KEY_SESSION_KEY, None)
    if shown is None:
        messages.warning(
            request,
            _("The HMAC key is shown only once. If it is lost, revoke the endpoint and create a new one."),
        )
        return redirect("acme_admin:endpoints")
    return render(request, "acme/key_shown.html", {"shown": shown})


def _action(request: AuthenticatedRequest, public_id: str, action: str) -> HttpResponseBase:
    endpoint = _get_endpoint(request, public_id)
    if request.method == "POST":
        change = {
            "disable": services.disable_endpoint,
            "enable": services.enable_endpoint,
            "revoke": services.revoke_endpoint,
        }[action]
        if change(endpoint, by=request.user, request=request):
            messages.success(
                request,
                {
                    "disable": _("The endpoint “%(name)s” is disabled."),
                    "enable": _("The endpoint “%(name)s” is enabled again."),
                    "revoke": _("The endpoint “%(name)s” is revoked."),
                }[action]
                % {"name": endpoint.name},
            )
        return redirect("acme_admin:endpoints")
    return render(request, "acme/endpoint_confirm.html", {"endpoint": endpoint, "action": action})


@right_required(ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def endpoint_disable(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    return _action(request, public_id, "disable")


@right_required(ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def endpoint_enable(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    return _action(request, public_id, "enable")


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def endpoint_revoke(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    return _action(request, public_id, "revoke")
