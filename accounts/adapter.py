"""allauth hooks: no public signup, no login into an account that is not active, our emails."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .mail import send_mail_on_commit
from .models import Account

# allauth emails we send through accounts.mail (multipart, in the user's language, by a task).
_OUR_EMAILS = {
    "account/email/password_reset_key": "account_password_reset",
    "account/email/unknown_account": "account_unknown_email",
}


class PortalAccountAdapter(DefaultAccountAdapter):
    """No public signup through allauth: accounts are opened by registration (ACC-1) and staff."""

    def is_open_for_signup(self, request):
        return False

    def pre_login(self, request, user, **kwargs):
        """ACC-2: the users of a pending, rejected or blocked account cannot log in.

        Reached only with the right password, so saying why reveals nothing to a stranger (ACC-3).
        """
        account = user.account
        if account is not None and account.status != Account.Status.ACTIVE:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            refusals = {
                Account.Status.PENDING: _("Your account request is still awaiting validation by our staff."),
                Account.Status.REJECTED: _("Your account request was not accepted; you cannot log in."),
            }
            text = refusals.get(account.status, _("Your account is blocked. Please contact our staff."))
            messages.error(request, text)
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def get_login_redirect_url(self, request):
        """Staff without an account work in the back office, not in an account's pages."""
        user = request.user
        if user.is_staff and user.account_id is None:
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
            "password_reset_url": context.get("password_reset_url", ""),
            "username": getattr(user, "username", ""),
            "first_name": getattr(user, "first_name", ""),
            "email": email,
            "register_url": settings.SITE_URL + reverse("registration:register"),
        }
        send_mail_on_commit(template, [email], ours, language)
