"""The second login step (ACC-5, STYLE.md 11) and the passwordless passkey login (ACC-6).

The step's views only open while allauth holds a pending login at our stage (the password was
right, nobody is logged in yet, for ACCOUNT_LOGIN_TIMEOUT seconds). After
SECOND_FACTOR_MAX_ATTEMPTS wrong answers the pending login is dropped and the user starts again
from the password; django-otp also delays each further try on the device after a failure.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.internal.stagekit import clear_login, stash_login
from allauth.account.models import Login
from allauth.account.stages import LoginStage
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ...services import LOCK_MESSAGE, log_login_event
from ..forms import CodeForm
from ..services import (
    InvalidCode,
    has_passkeys,
    has_totp,
    passkeys_allowed,
    record_second_factor_failure,
    verify_code,
)
from ..stages import PASSKEY_LOGIN_STATE, STAGE_KEY
from ..webauthn import PasskeyError, authentication_options, verify_passkey

step_required = login_stage_required(stage=STAGE_KEY, redirect_urlname="account_login")


class StageRequest(HttpRequest):
    """A request inside our login stage: `step_required` (allauth) has set the pending stage on it
    (type only: views receive a plain HttpRequest)."""

    _login_stage: LoginStage


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def json_redirect(response: HttpResponseBase) -> JsonResponse:
    """The JSON answer to static/js/webauthn.js for a view that would have redirected."""
    return JsonResponse({"redirect": response.get("Location") or reverse("root")})


def _step_failed(request: HttpRequest, stage: LoginStage) -> bool:
    """Count a wrong answer; True when the pending login is dropped (too many)."""
    user = stage.login.user
    stage.state["failures"] = stage.state.get("failures", 0) + 1
    record_second_factor_failure(user, request=request)
    if stage.state["failures"] >= settings.SECOND_FACTOR_MAX_ATTEMPTS:
        clear_login(request)
        messages.error(request, _("Too many wrong answers to the second factor. Log in again."))
        return True
    stash_login(request, stage.login)
    return False


@step_required
@require_http_methods(["GET", "POST"])
def authenticate(request: StageRequest) -> HttpResponseBase:
    """The step: a code from the app or a backup code, or the user's passkey (webauthn.js)."""
    stage = request._login_stage
    user = stage.login.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = verify_code(user, form.cleaned_data["code"])
        except InvalidCode:
            if _step_failed(request, stage):
                return redirect("account_login")
            form.add_error(
                "code", _("This code is not valid or was already used. Wait for the next code and try again.")
            )
        else:
            record_authentication(request, user, method="mfa", type=method)
            return stage.exit()
    return render(
        request,
        "twofactor/authenticate.html",
        {
            "form": form,
            "has_totp": has_totp(user),
            "has_passkeys": has_passkeys(user) and passkeys_allowed(user),
        },
    )


@step_required
@require_POST
def cancel(request: StageRequest) -> HttpResponseBase:
    """Leave the pending login (the login page would otherwise bring the user back to the step)."""
    clear_login(request)
    return redirect("account_login")


@step_required
@require_POST
def authenticate_passkey_options(request: StageRequest) -> HttpResponseBase:
    user = request._login_stage.login.user
    if not (has_passkeys(user) and passkeys_allowed(user)):
        return JsonResponse({"error": _("You have no passkey.")}, status=400)
    return HttpResponse(authentication_options(request, user), content_type="application/json")


@step_required
@require_POST
def authenticate_passkey(request: StageRequest) -> HttpResponseBase:
    stage = request._login_stage
    user = stage.login.user
    try:
        verify_passkey(request, json_body(request).get("credential"), user=user)
    except PasskeyError:
        if _step_failed(request, stage):
            return JsonResponse({"redirect": reverse("account_login")})
        return JsonResponse(
            {"error": _("This passkey was not accepted. Try again or type a code.")}, status=400
        )
    record_authentication(request, user, method="mfa", type="webauthn")
    return json_redirect(stage.exit())


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponseBase:
    """Passwordless login, first half: a challenge for any passkey the browser holds for us."""
    if request.user.is_authenticated:
        return JsonResponse({"redirect": get_adapter().get_login_redirect_url(request)})
    return HttpResponse(authentication_options(request), content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponseBase:
    """Passwordless login, second half: the signed challenge designates the user, who is then
    logged in through allauth (pre_login checks, no second-factor step, audit in post_login)."""
    limited = ratelimit.consume_or_429(request, action="login")
    if limited:
        return JsonResponse({"error": _("Too many attempts. Try again later.")}, status=429)
    data = json_body(request)
    try:
        passkey = verify_passkey(request, data.get("credential"))
    except PasskeyError:
        log_login_event("login.failed", request=request, actor_name="passkey", step="passkey")
        return JsonResponse({"error": _("This passkey was not accepted.")}, status=400)
    user = passkey.user
    if user.locked_at is not None:
        record_second_factor_failure(user, request=request, method="passkey_locked")
        return JsonResponse({"error": str(LOCK_MESSAGE)}, status=403)
    if not passkeys_allowed(user):
        return JsonResponse(
            {"error": _("This account logs in with a certificate, not a passkey.")}, status=403
        )
    next_url = data.get("next") or None
    if next_url and not get_adapter().is_safe_url(next_url):
        next_url = None
    login = Login(user=user, redirect_url=next_url, state={PASSKEY_LOGIN_STATE: True})
    record_authentication(request, user, method="passkey", passwordless=True)
    return json_redirect(perform_login(request, login))
