"""Shared helpers of the Administration, user menu and API tests."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from django.urls import URLPattern, URLResolver, get_resolver

URLCONF = "tests.support.urls_routes"
REAUTH_TIMEOUT = 300


def use_route_settings(settings) -> None:
    settings.ROOT_URLCONF = URLCONF
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = REAUTH_TIMEOUT


def log_in(client, user, *, authenticated_seconds_ago: float = 0):
    """Log in as allauth does: the session records when the password was last confirmed (ACC-9)."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - authenticated_seconds_ago, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def log_in_long_ago(client, user):
    """Logged in, but the last password confirmation is older than the 5 minutes ACC-9 allows."""
    return log_in(client, user, authenticated_seconds_ago=REAUTH_TIMEOUT + 60)


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes(prefix: str):
    """Every (route, pattern) of our urlconf under `prefix`."""
    return [(route, p) for route, p in walk(get_resolver(URLCONF).url_patterns) if route.startswith(prefix)]


def concrete(route: str, value: str = "X1") -> str:
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def is_reauth_redirect(response, path: str) -> bool:
    """allauth sent the user to confirm their password, to come back to `path` afterwards."""
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == "/accounts/reauthenticate/" and parse_qs(location.query).get("next") == [path]
