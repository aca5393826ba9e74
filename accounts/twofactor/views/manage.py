"""The security pages: authenticator app, backup codes, passkeys, and the account-wide 2FA switch.

Account users see them at /me/security/, staff at /accounts/2fa/ (staff have no /me/ pages).
Every change asks for a recent authentication (ACC-9, STYLE.md 10: a login or a password
confirmation within ACCOUNT_REAUTHENTICATION_TIMEOUT): allauth's reauthentication_required for
pages and forms, the same check answered in JSON for the passkey calls of static/js/webauthn.js.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.typing import AuthenticatedRequest, SignedInRequest, signed_in_user

from ...access import GuardedView, account_user_required, guarded
from ...models import Account, WebAuthnCredential
from ..forms import PasskeyNameForm, RequireSecondFactorForm, TotpConfirmForm
from ..middleware import enrolment_url, flag_enrolment
from ..services import (
    InvalidCode,
    account_requires_second_factor,
    backup_codes_left,
    confirm_totp,
    disable_totp,
    has_second_factor,
    has_totp,
    passkeys_allowed,
    pending_totp_device,
    qr_code_svg,
    regenerate_backup_codes,
    set_account_requires_second_factor,
    staff_requires_second_factor,
)
from ..webauthn import PasskeyError, register_passkey, registration_options, remove_passkey, rename_passkey
from .login import json_body

P = ParamSpec("P")
NEW_CODES_SESSION_KEY = "twofactor_new_backup_codes"


def factor_owner_required(view: Callable[Concatenate[SignedInRequest, P], HttpResponseBase]) -> GuardedView:
    """Any logged-in person with second factors of their own: an active account's user, or staff."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        user = signed_in_user(request)
        account = user.account
        if user.is_api_user or (account is not None and account.status != Account.Status.ACTIVE):
            raise PermissionDenied
        return view(cast(SignedInRequest, request), *args, **kwargs)

    return guarded(wrapper, ())


def _security_page(request: SignedInRequest, **extra: Any) -> HttpResponseBase:
    user = request.user
    account = user.account
    require_form = None
    if account and user.is_account_superuser and account.auth_type != Account.AuthType.CERTIFICATE:
        require_form = RequireSecondFactorForm(initial={"require_2fa": account.require_2fa})
    context = {
        "has_totp": has_totp(user),
        "backup_codes_left": backup_codes_left(user),
        "has_second_factor": has_second_factor(user),
        "second_factor_required": account_requires_second_factor(user) or staff_requires_second_factor(user),
        "passkeys": list(user.webauthn_credentials.all()),
        "passkeys_allowed": passkeys_allowed(user),
        "name_form": PasskeyNameForm(),
        "require_form": require_form,
        **extra,
    }
    return render(request, "twofactor/security.html", context, status=400 if extra else 200)


@account_user_required
@reauthentication_required
def security(request: AuthenticatedRequest) -> HttpResponseBase:
    """/me/security/: the account user's second factors (ACC-5, ACC-6), and for the super user
    the account-wide requirement (ADM-4)."""
    return _security_page(request)


@factor_owner_required
@reauthentication_required
def staff_security(request: SignedInRequest) -> HttpResponseBase:
    """/accounts/2fa/: the same page for staff (the back office asks them for a second factor)."""
    if request.user.account_id is not None:
        return redirect("twofactor:security")
    return _security_page(request)


@account_user_required
@reauthentication_required
@require_POST
def require_second_factor(request: AuthenticatedRequest) -> HttpResponseBase:
    form = RequireSecondFactorForm(request.POST)
    user = request.user
    if (
        not user.is_account_superuser
        or user.account.auth_type == Account.AuthType.CERTIFICATE
        or not form.is_valid()
    ):
        raise PermissionDenied
    required = form.cleaned_data["require_2fa"]
    if set_account_requires_second_factor(user.account, required, by=user, request=request):
        messages.success(
            request,
            _("Every user of the account now needs a second factor.")
            if required
            else _("A second factor is now optional for the users of the account."),
        )
    return redirect("twofactor:security")


# --- Authenticator app and backup codes ----------------------------------------------------------


@factor_owner_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: SignedInRequest) -> HttpResponseBase:
    """ACC-5: scan the QR code (or type the key), then type the first code to confirm."""
    user = request.user
    device = pending_totp_device(user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = confirm_totp(user, form.cleaned_data["code"], request=request)
        except InvalidCode:
            form.add_error(
                "code",
                _(
                    "This code is not right. Check that your phone's clock is on time and "
                    "type the code the app shows now."
                ),
            )
        else:
            request.session[NEW_CODES_SESSION_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("twofactor:backup_codes")
    return render(
        request,
        "twofactor/totp_setup.html",
        {
            "form": form,
            "qr_svg": qr_code_svg(device.config_url),
            "secret": b32encode(device.bin_key).decode(),
            "replacing": has_totp(user),
            "back_url": enrolment_url(user),
        },
        status=400 if form.errors else 200,
    )


@factor_owner_required
@never_cache
def backup_codes(request: SignedInRequest) -> HttpResponseBase:
    """The new backup codes, shown once: they leave the session as the page is rendered."""
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        return redirect(enrolment_url(request.user))
    return render(
        request, "twofactor/backup_codes.html", {"codes": codes, "back_url": enrolment_url(request.user)}
    )


@factor_owner_required
@reauthentication_required
@require_POST
def backup_codes_regenerate(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    if not has_second_factor(user):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect(enrolment_url(user))
    request.session[NEW_CODES_SESSION_KEY] = regenerate_backup_codes(user, request=request)
    return redirect("twofactor:backup_codes")


@factor_owner_required
@reauthentication_required
@require_POST
def totp_disable(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    if disable_totp(user, request=request):
        messages.success(request, _("The authenticator app and the backup codes are removed."))
    flag_enrolment(request, user)
    return redirect(enrolment_url(user))


# --- Passkeys ------------------------------------------------------------------------------------


def _passkey_refusal(request: SignedInRequest) -> JsonResponse | None:
    if not passkeys_allowed(request.user):
        return JsonResponse(
            {"error": _("Passkeys are not available on accounts that log in with a certificate.")}, status=403
        )
    if not did_recently_reauthenticate(request):
        url = f"{reverse('account_reauthenticate')}?{urlencode({'next': enrolment_url(request.user)})}"
        return JsonResponse({"error": _("Please confirm your password first."), "redirect": url}, status=403)
    return None


def _name_error(form: PasskeyNameForm) -> JsonResponse:
    return JsonResponse(
        {"error": " ".join(str(error) for error in form.errors["name"]), "field": "name"}, status=400
    )


@factor_owner_required
@require_POST
def passkey_register_options(request: SignedInRequest) -> HttpResponseBase:
    refusal = _passkey_refusal(request)
    if refusal:
        return refusal
    form = PasskeyNameForm({"name": json_body(request).get("name", "")})
    if not form.is_valid():
        return _name_error(form)
    return HttpResponse(registration_options(request, request.user), content_type="application/json")


@factor_owner_required
@require_POST
def passkey_register(request: SignedInRequest) -> HttpResponseBase:
    refusal = _passkey_refusal(request)
    if refusal:
        return refusal
    data = json_body(request)
    form = PasskeyNameForm({"name": data.get("name", "")})
    if not form.is_valid():
        return _name_error(form)
    try:
        passkey = register_passkey(
            request, request.user, form.cleaned_data["name"], data.get("credential") or {}
        )
    except PasskeyError:
        return JsonResponse({"error": _("The passkey could not be registered. Try again.")}, status=400)
    messages.success(request, _("Passkey “%(name)s” added.") % {"name": passkey.name})
    return JsonResponse({"redirect": enrolment_url(request.user)})


@factor_owner_required
@require_POST
def passkey_rename(request: SignedInRequest, pk: int) -> HttpResponseBase:
    passkey = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        return _security_page(request, rename_form=form, rename_pk=passkey.pk)
    rename_passkey(passkey, form.cleaned_data["name"], request=request)
    messages.success(request, _("Passkey renamed."))
    return redirect(enrolment_url(request.user))


@factor_owner_required
@reauthentication_required
@require_POST
def passkey_remove(request: SignedInRequest, pk: int) -> HttpResponseBase:
    passkey = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    remove_passkey(passkey, request=request)
    messages.success(request, _("Passkey “%(name)s” removed.") % {"name": passkey.name})
    flag_enrolment(request, request.user)
    return redirect(enrolment_url(request.user))
