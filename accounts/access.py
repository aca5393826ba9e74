"""Rights checks and object access for views (STYLE.md 1, ADM-2).

`right_required` guards a view: anonymous → login, staff or a user without an account → 403,
missing right → 403. `get_for_account` loads an account-owned object by its public key and answers
404 for another account's object, so nothing tells that it exists.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from .models import Account, Right

M = TypeVar("M", bound=models.Model)


def account_user_required(view):
    """The view is for a logged-in user of an active account."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        account = request.user.account
        if account is None or account.status != Account.Status.ACTIVE:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.required_rights = ()
    return wrapper


def right_required(*rights: Right):
    """The view needs one of these ADM-2 rights; the table test reads `required_rights` (STYLE.md 13)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            account = request.user.account
            if account is None or account.status != Account.Status.ACTIVE:
                raise PermissionDenied
            if not any(request.user.has_right(right) for right in rights):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_rights = rights
        return wrapper

    return decorator


def get_for_account(queryset: models.QuerySet[M], account: Account, **lookup: Any) -> M:
    """One object of `account` or 404 (never 403: another account's object does not exist here)."""
    try:
        return queryset.get(account=account, **lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def public_view(view):
    """Mark a view as open to anyone (an emailed link, an external order link, a CRL): the rights
    table test (tests/accounts/test_permissions.py) then knows the missing check is deliberate. Such a view
    opens the tenant scope of the object it serves itself."""
    view.public = True
    view.required_rights = ()
    return view
