"""What accounts.adapter asks of the certificate login (ACC-7): kept here so the adapter only
calls in, and every rule of certificate users lives in this package."""

from __future__ import annotations

import time
from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.stagekit import clear_login
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User

from .services import certificate_required

__all__ = [
    "certificate_required",
    "login_details",
    "reauthentication_method",
    "recently_confirmed",
    "refuse_login_without_certificate",
]


def _last_method(request: HttpRequest, user: User) -> str:
    records = get_authentication_records(request, user)
    return records[-1].get("method", "") if records else ""


def refuse_login_without_certificate(request: HttpRequest, user: User) -> HttpResponseRedirect | None:
    """ACC-7: a user who holds a login certificate logs in with it only: any other login (a
    password, even the right one) is refused. Reached only with valid credentials, so saying why
    tells a stranger nothing (ACC-3)."""
    if _last_method(request, user) == "certificate" or not certificate_required(user):
        return None
    clear_login(request)
    messages.error(
        request, _("Your account logs in with your client certificate: use “Log in with my certificate”.")
    )
    return redirect("account_login")


def login_details(records: list[dict]) -> dict:
    """The certificate of a certificate login, for its audit event."""
    for record in reversed(records):
        if record.get("method") == "certificate":
            return {"serial": record.get("serial", ""), "fingerprint_sha256": record.get("fingerprint", "")}
    return {}


def recently_confirmed(request: HttpRequest) -> bool:
    """ACC-9: the certificate was presented (at login or again) within the re-authentication window."""
    times = [
        record.get("at", 0)
        for record in get_authentication_records(request, request.user)
        if record.get("method") == "certificate" and record.get("reauthenticated")
    ]
    return bool(times) and time.time() - max(times) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def reauthentication_method() -> dict[str, Any]:
    """The re-authentication allauth offers a certificate user (its middleware sends them there)."""
    return {
        "id": "certificate",
        "description": _("Use your certificate"),
        "url": reverse("clientcert:reauthenticate"),
    }
