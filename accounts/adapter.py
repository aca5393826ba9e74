"""allauth hooks: no public signup, no login into an account that is not active, our emails; the
login lock (ACC-3), the second-factor step (ACC-5) and the audit of logins (PLAT-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.core import context as allauth_context
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from . import services
from .audit import log_action
from .clientcert import login_integration as clientcert
from .mail import send_mail_on_commit
from .models import Account, User
from .twofactor.middleware import flag_enrolment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# allauth emails we send through accounts.mail (multipart, in the user's language, by a task).
_OUR_EMAILS = {
    "account/email/password_reset_key": "account_password_reset",
    "account/email/unknown_account": "account_unknown_email",
}


def on_site_url(url: str) -> str:
    """Issue 13: a link built from the request's Host header, moved onto SITE_URL (a forged Host
    never reaches a password-reset email)."""
    if not url:
        return url
    parts = urlsplit(url)
    return settings.SITE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


class PortalAccountAdapter(DefaultAccountAdapter):
    """No public signup through allauth: accounts are opened by registration (ACC-1) and staff."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponseBase | None:
        """ACC-2: the users of a pending, rejected or blocked account cannot log in.

        Reached only with the right password, so saying why reveals nothing to a stranger (ACC-3).
        """
        account = user.account
        if account is not None and account.status != Account.Status.ACTIVE:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            refusals: dict[str, StrOrPromise] = {
                Account.Status.PENDING: _("Your account request is still awaiting validation by our staff."),
                Account.Status.REJECTED: _("Your account request was not accepted; you cannot log in."),
            }
            text = refusals.get(account.status, _("Your account is blocked. Please contact our staff."))
            messages.error(request, text)
            return redirect("account_login")
        refusal = clientcert.refuse_login_without_certificate(request, user)  # ACC-7
        if refusal is not None:
            return refusal
        return super().pre_login(request, user, **kwargs)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> User | None:
        """ACC-3: a locked name is refused before its password is even checked.

        The lock message is shown whatever password was typed, and also for names that designate
        nobody once they reached as many failures: it tells neither whether the password was right
        (a guesser learns nothing by going on) nor whether the user exists. Showing it only to the
        right password would turn the lock into an oracle for the password, so we do not.
        """
        login = _login_name(credentials)
        if login and services.is_login_locked(login):
            services.record_refused_locked_login(login, request=request)
            raise forms.ValidationError(services.LOCK_MESSAGE, code="locked")
        user = super().authenticate(request, **credentials)
        if user is not None:
            if user.locked_at is not None:
                # Only when a shared email also designates an unlocked user: the lock still holds.
                raise forms.ValidationError(services.LOCK_MESSAGE, code="locked")
            services.reset_failed_logins(user)
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        login = _login_name(credentials)
        if login and services.record_failed_login(login, request=request):
            raise forms.ValidationError(services.LOCK_MESSAGE, code="locked")

    def get_login_stages(self) -> list[str]:
        """ACC-5: the second factor is a login stage of its own, after the password (STYLE.md 11)."""
        return [*super().get_login_stages(), "accounts.twofactor.stages.SecondFactorStage"]

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponseBase:
        """PLAT-6: audit the login. ACC-9: a fresh login counts as the recent authentication that
        sensitive actions ask for (a login within the last 5 minutes)."""
        records = get_authentication_records(request, user)
        methods = sorted({record["method"] for record in records})
        with scopes_disabled():  # the user's scope opens with the next request
            if "certificate" in methods:  # ACC-7
                log_action(
                    "login.certificate",
                    account=user.account,
                    user=user,
                    obj=user,
                    request=request,
                    methods=methods,
                    **clientcert.login_details(records),
                )
            else:
                log_action(
                    "login.succeeded",
                    account=user.account,
                    user=user,
                    obj=user,
                    request=request,
                    methods=methods,
                )
        first = (
            "certificate" if "certificate" in methods else "passkey" if "passkey" in methods else "password"
        )
        record_authentication(request, user, method=first, reauthenticated=True, at_login=True)
        flag_enrolment(request, user)
        # The request began anonymous, so outside any account scope (accounts.middleware); allauth
        # now renders its "signed in" message with the context processors (menu badges query
        # account data): open the new user's scope for the rest of this request.
        with scope(account=user.account_id) if user.account_id else scopes_disabled():
            return super().post_login(request, user, **kwargs)

    # ACC-7 / ACC-9: users who log in by certificate re-authenticate by presenting it again.
    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        request = allauth_context.request
        if (
            request is not None
            and request.user.is_authenticated
            and clientcert.certificate_required(request.user)
        ):
            return not clientcert.recently_confirmed(request)
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_reauthentication_methods(self, user: User) -> list[dict[str, Any]]:
        if user.is_authenticated and clientcert.certificate_required(user):
            return [clientcert.reauthentication_method()]
        return super().get_reauthentication_methods(user)

    def reauthenticate(self, user: User, password: str) -> bool:
        if clientcert.certificate_required(user):
            return False  # a password confirms nothing for a certificate user
        return super().reauthenticate(user, password)

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        return self.get_login_redirect_url(request)

    def clean_password(self, password: str, user: User | None = None) -> str:
        """ACC-4: a new password must differ from the current one (the yearly change is a change)."""
        password = super().clean_password(password, user=user)
        if user is not None and user.pk and user.has_usable_password() and user.check_password(password):
            raise forms.ValidationError(_("Choose a password different from your current one."))
        return password

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff without an account work in the back office, not in an account's pages."""
        user = request.user
        if user.is_authenticated and user.is_staff and user.account_id is None:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def format_email_subject(self, subject: str) -> str:
        return str(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language() or settings.LANGUAGE_CODE
        template = _OUR_EMAILS.get(template_prefix)
        if template is None:
            with translation.override(language):
                super().send_mail(template_prefix, email, context)
            return
        ours = {
            "password_reset_url": on_site_url(context.get("password_reset_url", "")),
            "username": getattr(user, "username", ""),
            "first_name": getattr(user, "first_name", ""),
            "email": email,
            "register_url": settings.SITE_URL + reverse("registration:register"),
        }
        send_mail_on_commit(template, [email], ours, language)


def _login_name(credentials: dict) -> str:
    return (credentials.get("email") or credentials.get("username") or "").strip()
