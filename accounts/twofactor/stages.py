"""ACC-5 / STYLE.md 11: the second factor as a login step of its own.

After the right password allauth keeps the login pending in the session (ACCOUNT_LOGIN_TIMEOUT,
5 minutes), the user not logged in, and runs its login stages; this one sends a user who has a
second factor to /accounts/2fa/authenticate/. A passwordless passkey login already proved two
factors (the device, and the person through user verification), so it skips the step.
"""

from __future__ import annotations

from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from django.http.response import HttpResponseBase

from .services import has_second_factor

STAGE_KEY = "portal_second_factor"
PASSKEY_LOGIN_STATE = "passkey_login"


class SecondFactorStage(LoginStage):
    key = STAGE_KEY
    urlname = "twofactor:authenticate"

    def handle(self) -> tuple[HttpResponseBase | None, bool]:
        user = self.login.user
        if user is None or self.login.state.get(PASSKEY_LOGIN_STATE) or not has_second_factor(user):
            return None, True
        self.state["failures"] = 0
        return headed_redirect_response("twofactor:authenticate"), True
