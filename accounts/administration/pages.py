"""What every users-administration page shares (ADM-1, ADM-3): finding the person a page is about
in the administrator's account, their display name, and the one confirmation page of the actions.

Used by the administration views and by the certificate actions of certificate-login accounts
(accounts.clientcert.views.admin), which sit above this package: it imports nothing from them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import get_for_account
from accounts.models import Account, User
from accounts.typing import AuthenticatedRequest


def people(account: Account) -> QuerySet[User]:
    """The account's people (its API users are managed apart, ADM-4)."""
    return User.objects.filter(account=account, is_api_user=False).select_related("account")


def get_person(request: AuthenticatedRequest, public_id: str) -> User:
    """A person of the administrator's account by public id; another account's is not found (404)."""
    account = request.user.account
    return get_for_account(people(account), account, public_id=public_id)


def get_other_person(request: AuthenticatedRequest, public_id: str) -> User:
    """A person of the account other than the administrator (403 for oneself)."""
    target = get_person(request, public_id)
    if target.pk == request.user.pk:
        raise PermissionDenied
    return target


def get_manageable(request: AuthenticatedRequest, public_id: str) -> User:
    """A user whose rights and state this administrator may change: not the super user (staff
    change it), not oneself."""
    target = get_other_person(request, public_id)
    if target.is_account_superuser:
        raise PermissionDenied
    return target


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def back_to_user(target: User) -> HttpResponseRedirect:
    return redirect("administration:user_detail", target.public_id)


def confirm(
    request: AuthenticatedRequest, target: User, *, title: str, text: str, button: str, tone: str = ""
) -> HttpResponse:
    """The confirmation page of an action on a user; `tone` is "warning" or "danger" (its button)."""
    return render(
        request,
        "administration/confirm.html",
        {
            "target": target,
            "title": title,
            "text": text,
            "button": button,
            "tone": tone,
            "back_url": reverse("administration:user_detail", args=[target.public_id]),
        },
    )
