"""Rights checks and object access for views (STYLE.md 1, ADM-2).

`right_required` guards a view: anonymous → login, staff or a user without an account → 403,
missing right → 403. `get_for_account` loads an account-owned object by its public key and answers
404 for another account's object, so nothing tells that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .models import Account, Right, User
from .typing import AuthenticatedRequest

M = TypeVar("M", bound=models.Model)
P = ParamSpec("P")


class GuardedView(Protocol):
    """A view behind one of the guards below (or marked public): Django calls it with any request;
    the rights table test (tests/accounts/test_permissions.py) reads `required_rights`."""

    required_rights: tuple[Right, ...]

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def guarded(view: Callable[..., HttpResponseBase], rights: tuple[Right, ...]) -> GuardedView:
    """`view` with the rights it requires recorded on it (a function attribute)."""
    marked = cast(GuardedView, view)
    marked.required_rights = rights
    return marked


def _active_account_user(request: HttpRequest) -> User | None:
    """The signed-in user of an active account, or None (anonymous); PermissionDenied otherwise."""
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    account = user.account
    if account is None or account.status != Account.Status.ACTIVE:
        raise PermissionDenied
    return user


def account_user_required(
    view: Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase],
) -> GuardedView:
    """The view is for a logged-in user of an active account."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if _active_account_user(request) is None:
            return redirect_to_login(request.get_full_path())
        return view(cast(AuthenticatedRequest, request), *args, **kwargs)

    return guarded(wrapper, ())


def right_required(
    *rights: Right,
) -> Callable[[Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]], GuardedView]:
    """The view needs one of these ADM-2 rights; the table test reads `required_rights` (STYLE.md 13)."""

    def decorator(view: Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]) -> GuardedView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            user = _active_account_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path())
            if not any(user.has_right(right) for right in rights):
                raise PermissionDenied
            return view(cast(AuthenticatedRequest, request), *args, **kwargs)

        return guarded(wrapper, rights)

    return decorator


def get_for_account(queryset: models.QuerySet[M], account: Account, **lookup: Any) -> M:
    """One object of `account` or 404 (never 403: another account's object does not exist here)."""
    try:
        return queryset.get(account=account, **lookup)
    except ObjectDoesNotExist:  # the model's DoesNotExist
        raise Http404 from None


class PublicView(GuardedView, Protocol):
    """A view open to anyone (see public_view)."""

    public: bool


def public_view(view: Callable[..., HttpResponseBase]) -> PublicView:
    """Mark a view as open to anyone (an emailed link, an external order link, a CRL): the rights
    table test (tests/accounts/test_permissions.py) then knows the missing check is deliberate. Such a view
    opens the tenant scope of the object it serves itself."""
    marked = cast(PublicView, view)
    marked.required_rights = ()
    marked.public = True
    return marked
