"""Session limits (ACC-9) and the password age (ACC-4), checked on every request.

- Idle timeout: a session unused for SESSION_IDLE_SECONDS (30 min by default) is ended.
- Absolute limit: a session older than SESSION_COOKIE_AGE since its login (12 h by default) is
  ended, even if used all along (the database session's own expiry slides with each save).
- Password age: a password older than PASSWORD_MAX_AGE_DAYS (12 months) must be changed before
  anything else; the user is sent to allauth's password change page until it is done.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.typing import GetResponse

from .models import User

LOGIN_AT_KEY = "portal_login_at"
SEEN_AT_KEY = "portal_seen_at"
# The last-seen time is written at most this often, so that not every request saves the session.
_SEEN_RESOLUTION = 30


def stamp_login(sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """user_logged_in receiver: the absolute and idle limits count from the login."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT_KEY] = now
        request.session[SEEN_AT_KEY] = now


class SessionLimitsMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = session.setdefault(LOGIN_AT_KEY, now)
            seen_at = session.get(SEEN_AT_KEY, now)
            if now - seen_at > settings.SESSION_IDLE_SECONDS:
                return self._end(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_SECONDS // 60},
                )
            if now - login_at > settings.SESSION_COOKIE_AGE:
                return self._end(request, _("Your session reached its maximum length: please log in again."))
            if now - session.get(SEEN_AT_KEY, 0) >= _SEEN_RESOLUTION:
                session[SEEN_AT_KEY] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, text: str) -> HttpResponseRedirect:
        next_url = request.get_full_path()
        logout(request)
        messages.info(request, text)
        return redirect_to_login(next_url)


def password_expired(user: User) -> bool:
    """ACC-4: a usable password set more than PASSWORD_MAX_AGE_DAYS ago (or, for a password older
    than the field, a user who joined that long ago)."""
    if not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return changed < timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


class PasswordAgeMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and password_expired(user) and not _exempt(request.path):
            messages.warning(request, _("Your password is more than 12 months old: please choose a new one."))
            return redirect(
                f"{reverse('account_change_password')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)


def _exempt(path: str) -> bool:
    return path in (reverse("account_change_password"), reverse("account_logout")) or path.startswith(
        ("/" + settings.STATIC_URL.lstrip("/"), "/i18n/")
    )
