"""Authentication backends that refuse a locked user (ACC-3), whichever code calls authenticate().

The login page refuses a locked login name before any password check (accounts.adapter); these
backends are the safety net for every other caller (re-authentication, a future API login).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser

from .models import User


class LockAwareModelBackend(ModelBackend):
    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None


class LockAwareAllauthBackend(AuthenticationBackend):
    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
