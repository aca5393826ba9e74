"""Authentication backends that refuse a locked user (ACC-3), whichever code calls authenticate().

The login page refuses a locked login name before any password check (accounts.adapter); these
backends are the safety net for every other caller (re-authentication, a future API login).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from .models import User
from .prepared import prepared_get


def _user_and_account(user_id: int) -> QuerySet[User]:
    return User._default_manager.select_related("account").filter(pk=user_id)


def _user_with_account(backend: ModelBackend, user_id: int | str) -> User | None:
    """The session's user with their account in the same query: every page reads the account
    (scope, menu, rights), which cost a second query per request (issue 17, load). Its SQL is
    compiled once per process (`accounts.prepared`)."""
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    user = prepared_get("session-user", User, _user_and_account, user_id=pk)
    return user if user is not None and backend.user_can_authenticate(user) else None


class LockAwareModelBackend(ModelBackend):
    def get_user(self, user_id: int | str) -> User | None:
        return _user_with_account(self, user_id)

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None


class LockAwareAllauthBackend(AuthenticationBackend):
    def get_user(self, user_id: int | str) -> User | None:
        return _user_with_account(self, user_id)

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
