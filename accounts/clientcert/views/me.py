"""ACC-7: the user's own login certificates (/me/certificate/), their first certificate made in their
browser, and the panic button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import account_user_required
from accounts.models import ClientCertificate, User
from accounts.typing import AuthenticatedRequest

from .. import services
from .login import issued_response, json_body


def _certificate_user(request: AuthenticatedRequest) -> User:
    """These pages exist only for the users of certificate-login accounts."""
    if not services.is_certificate_account(request.user):
        raise Http404
    return request.user


@account_user_required
@never_cache
def mine(request: AuthenticatedRequest) -> HttpResponseBase:
    user = _certificate_user(request)
    certificates = list(ClientCertificate.objects.filter(user=user).order_by("-created_at", "-id"))
    return render(
        request,
        "clientcert/mine.html",
        {
            "certificates": certificates,
            "may_self_enrol": services.may_self_enrol(user),
            "has_usable": any(c.state != ClientCertificate.State.REVOKED for c in certificates),
        },
    )


@account_user_required
@require_POST
def self_enrol(request: AuthenticatedRequest) -> HttpResponseBase:
    """A user's first certificate, for the key their browser just made (the JSON of clientcert.js)."""
    user = _certificate_user(request)
    try:
        record = services.issue_from_csr(user, json_body(request).get("csr", ""), by=user, request=request)
    except services.CertificateRequestError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return issued_response(record)


@account_user_required
@require_http_methods(["GET", "POST"])
def panic(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACC-7: block my access and revoke my certificate now (after a confirmation). No
    re-authentication: whoever holds the session in an emergency must be able to cut it."""
    user = _certificate_user(request)
    if request.method == "POST":
        services.panic(user, request=request)
        logout(request)
        messages.warning(
            request,
            _(
                "Your access is blocked and your certificate revoked. Only an administrator "
                "of your account can reactivate you, with a new certificate."
            ),
        )
        return redirect("account_login")
    return render(request, "clientcert/panic.html")
