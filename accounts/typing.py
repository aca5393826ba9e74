"""Types the views share (issue 16): the request of a logged-in user of an account, as behind
`right_required` and `account_user_required`, so `request.user.account` type-checks in every view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from accounts.models import Account, User

if TYPE_CHECKING:

    class AccountUser(User):
        """A User whose account is set (type only: the access decorators guarantee it)."""

        account: Account

        class Meta:
            abstract = True

else:
    AccountUser = User


class AuthenticatedRequest(HttpRequest):
    """An HttpRequest of a logged-in user of an active account (type only: views receive plain
    HttpRequests, which the access decorators of accounts.access have checked)."""

    user: AccountUser
