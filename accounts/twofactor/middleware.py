"""ACC-5 / ADM-4: a user who must have a second factor reaches nothing but its enrolment first.

- Users of an account that requires 2FA (require_2fa, or the "password and second factor" login
  type) are sent to the security page from any page, as soon as the requirement exists.
- Staff are sent there from the back office (/staff/) unless STAFF_REQUIRE_2FA is off. Their
  requirement is noted in the session when they log in (`flag_enrolment`), like the account
  users' "at next login" (ACC-5); removing one's last factor notes it again.

The login, logout, re-authentication and enrolment pages (all under /accounts/), the security page,
the language switch and static files stay reachable.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.typing import GetResponse

from .services import account_requires_second_factor, has_second_factor, staff_requires_second_factor

ENROL_SESSION_KEY = "portal_second_factor_enrolment"


def enrolment_url(user: User) -> str:
    """Account users manage their factors on /me/security/, staff on /accounts/2fa/."""
    return reverse("twofactor:security") if user.account_id else reverse("twofactor:staff_security")


def flag_enrolment(request: HttpRequest, user: User) -> None:
    """At login (and after removing a factor): note that this staff session must enrol first."""
    if staff_requires_second_factor(user) and not has_second_factor(user):
        request.session[ENROL_SESSION_KEY] = True


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and self._must_enrol(request, user) and not self._always_open(request.path):
            messages.warning(
                request, _("Set up a second factor (an authenticator app or a passkey) to continue.")
            )
            return redirect(enrolment_url(user))
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest, user: User) -> bool:
        if user.account_id is not None:
            return account_requires_second_factor(user) and not has_second_factor(user)
        if not request.session.get(ENROL_SESSION_KEY):
            return False
        if not staff_requires_second_factor(user) or has_second_factor(user):
            del request.session[ENROL_SESSION_KEY]
            return False
        return request.path.startswith(reverse("admin:index"))

    @staticmethod
    def _always_open(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(("/accounts/", "/i18n/", static)) or path == reverse("twofactor:security")
