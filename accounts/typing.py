"""Types the views share (issue 16): the request of a logged-in user of an account, as behind
`right_required` and `account_user_required`, so `request.user.account` type-checks in every view."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from accounts.models import Account, User

if TYPE_CHECKING:

    class AccountUser(User):
        """A User whose account is set (type only: the access decorators guarantee it)."""

        account: Account
        account_id: int

        class Meta:
            abstract = True

else:
    AccountUser = User


class SignedInRequest(HttpRequest):
    """An HttpRequest of a logged-in user, staff or of an account (type only: the views behind a
    login check receive plain HttpRequests)."""

    user: User


class AuthenticatedRequest(SignedInRequest):
    """An HttpRequest of a logged-in user of an active account (type only: views receive plain
    HttpRequests, which the access decorators of accounts.access have checked)."""

    user: AccountUser


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request a login check has already let through (the admin site for staff, a
    guarded view): a User, never AnonymousUser; PermissionDenied should the check be missing."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


# What a middleware's `get_response` is: the rest of the stack, from the request to its response.
GetResponse = Callable[[HttpRequest], HttpResponseBase]
