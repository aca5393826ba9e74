"""ACC-7: a user of a certificate-login account who is logged in without a certificate reaches
nothing but the page where they make one.

Only possible before their first certificate (accounts.adapter refuses a password login once a
user holds one): the super user right after their account is validated, who has nobody to issue
it. The login, logout and language pages, static files and /me/certificate/ stay reachable.

Settings: after accounts.twofactor.middleware.SecondFactorRequiredMiddleware,
    "accounts.clientcert.middleware.CertificateFirstMiddleware",
"""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.typing import GetResponse

from .services import is_certificate_account


def logged_in_by_certificate(request: HttpRequest, user: User) -> bool:
    return any(record.get("method") == "certificate" for record in get_authentication_records(request, user))


class CertificateFirstMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            user.is_authenticated
            and user.account_id
            and is_certificate_account(user)
            and not logged_in_by_certificate(request, user)
            and not self._always_open(request.path)
        ):
            messages.warning(request, _("Your account logs in with a client certificate: make yours first."))
            return redirect("clientcert:mine")
        return self.get_response(request)

    @staticmethod
    def _always_open(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(("/accounts/", "/i18n/", static, reverse("clientcert:mine")))
