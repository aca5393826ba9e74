"""The table of every URL pattern × right (STYLE.md 13, ADM-2).

Every view of ours either declares the rights it needs (through accounts.access decorators,
which set `required_rights`) or is listed below as public. A new view without its check fails
`test_every_view_declares_its_rights`; each declared right is then enforced for a user holding
any single other right.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Right
from tests import factories

# Namespaces and views that are public or belong to other guards (allauth, admin: is_staff).
PUBLIC_PREFIXES = ("staff/", "accounts/", "i18n/", "pki/", "register/", "static/", "api/")
PUBLIC_VIEWS = {"root"}
OUR_APPS = ("accounts.", "orders.", "billing.", "catalog.", "monitoring.", "contracts.", "portal.")


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def our_patterns():
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if route.startswith(PUBLIC_PREFIXES) or not module.startswith(OUR_APPS):
            continue
        if pattern.name in PUBLIC_VIEWS or getattr(pattern.callback, "public", False):
            continue
        yield route, pattern


def concrete(route: str) -> str:
    """A URL for a route, with made-up values for its parameters (rights are checked first)."""
    url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "X1", route)
    return "/" + url.lstrip("^").rstrip("$")


def test_every_view_declares_its_rights():
    missing = [route for route, pattern in our_patterns() if not hasattr(pattern.callback, "required_rights")]
    assert missing == [], f"views without a rights check: {missing}"


def test_table_is_not_empty():
    assert len(list(our_patterns())) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("right", list(Right))
def test_each_view_refuses_users_without_its_right(client, account, right):
    user = factories.make_user(account, f"only-{right}", rights=[right])
    client.force_login(user)
    for route, pattern in our_patterns():
        needed = pattern.callback.required_rights
        if not needed or right in needed:
            continue
        response = client.get(concrete(route))
        assert response.status_code == 403, f"{route} answered {response.status_code} to a user with {right}"


def test_table_has_refusals_for_single_right_users():
    """The table above is not vacuous: most rights are refused by some view."""
    refused = {
        r
        for r in Right
        for _route, p in our_patterns()
        if p.callback.required_rights and r not in p.callback.required_rights
    }
    assert {Right.BILLING, Right.ADMINISTRATIVE, Right.APPROVAL} <= refused


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    for route, _pattern in our_patterns():
        response = client.get(concrete(route))
        assert response.status_code == 302, route
        assert response["Location"].startswith("/accounts/login/"), route


@pytest.mark.django_db
def test_staff_without_account_gets_403_on_account_pages(client, staff):
    client.force_login(staff)
    for route, _pattern in our_patterns():
        assert client.get(concrete(route)).status_code == 403, route
