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
OUR_APPS = (
    "acmeserver.",
    "accounts.",
    "orders.",
    "billing.",
    "catalog.",
    "monitoring.",
    "contracts.",
    "portal.",
)


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


# Granting rights (issue 13): nobody grants a right beyond their own; only the super user grants
# Approval and Billing. Each right is tried through the add-user page, the rights page, the service
# the API and tasks go through, and the staff back office.

SUPERUSER_ONLY = {Right.APPROVAL, Right.BILLING}
NEW_PASSWORD = "Quartz-Meadow-Lantern-77"


def _add_user_data(right: Right) -> dict:
    return {
        "first_name": "Nina",
        "last_name": "New",
        "email": "nina@acme.test",
        "username": "nina",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "rights": [right.value],
        "language": "en",
    }


def _granter(account, right: Right, *, holds_it: bool):
    rights = [Right.ADMINISTRATIVE, right] if holds_it else [Right.ADMINISTRATIVE]
    return factories.make_user(account, "granter", rights=rights)


@pytest.mark.django_db
@pytest.mark.parametrize("holds_it", [True, False], ids=["holds-it", "lacks-it"])
@pytest.mark.parametrize("right", list(Right))
def test_grant_attempts_through_the_pages(client, account, right, holds_it):
    from accounts.models import User
    from tests.support.routes import log_in

    granter = _granter(account, right, holds_it=holds_it)
    allowed = (holds_it or right == Right.ADMINISTRATIVE) and right not in SUPERUSER_ONLY
    target = factories.make_user(account, "target", rights=[])
    log_in(client, granter)

    page = client.get("/administration/users/add/").content.decode()
    assert (f'value="{right.value}"' in page) and (
        ("disabled" in page.split(f'value="{right.value}"')[1].split(">")[0]) != allowed
    )
    response = client.post("/administration/users/add/", _add_user_data(right))
    created = User.objects.filter(username="nina").first()
    if allowed:
        assert response.status_code == 302 and created is not None and created.rights == [right]
    else:
        assert response.status_code == 200 and created is None, f"{right} granted on creation"
        assert "only the rights you hold yourself" in response.content.decode()

    response = client.post(f"/administration/users/{target.public_id}/", {"rights": [right.value]})
    target.refresh_from_db()
    assert (target.rights == [right]) == allowed, f"{right} granted on edit: {target.rights}"


@pytest.mark.django_db
@pytest.mark.parametrize("right", list(Right))
def test_grant_attempts_through_the_service(account, right):
    """The rule lives in the service that the pages, the API and any task call."""
    from accounts.administration import services

    granter = _granter(account, right, holds_it=True)
    target = factories.make_user(account, "target", rights=[])
    if right in SUPERUSER_ONLY:
        with pytest.raises(services.UserAdminError):
            services.change_rights(target, [right], by=granter)
        with pytest.raises(services.UserAdminError):
            services.create_user(account, {**_add_user_data(right), "rights": [right]}, by=granter)
        with pytest.raises(services.UserAdminError):
            services.create_api_user(account, name="script", rights=[right], by=granter)
    else:
        assert services.change_rights(target, [right], by=granter)
    owner = factories.make_user(account, "owner", superuser=True)
    assert services.change_rights(target, [Right.APPROVAL, Right.BILLING, right], by=owner)


@pytest.mark.django_db
def test_a_right_one_may_not_grant_is_kept_when_editing_others(client, account):
    """The disabled box of a right the administrator may not grant is not posted: it stays."""
    from tests.support.routes import log_in

    granter = _granter(account, Right.TECHNICAL, holds_it=True)
    target = factories.make_user(account, "target", rights=[Right.BILLING, Right.TECHNICAL])
    log_in(client, granter)
    assert (
        client.post(f"/administration/users/{target.public_id}/", {"csrfmiddlewaretoken": "-"}).status_code
        == 302
    )
    target.refresh_from_db()
    assert target.rights == [Right.BILLING]


@pytest.mark.django_db
def test_staff_grant_only_what_they_hold_in_the_back_office(client, account):
    from django.contrib.auth.models import Permission

    from accounts.models import User

    staff = User.objects.create_user("clerk", "clerk@portal.test", NEW_PASSWORD, is_staff=True)
    change_user = Permission.objects.get(codename="change_user")
    view_user = Permission.objects.get(codename="view_user")
    delete_user = Permission.objects.get(codename="delete_user")
    staff.user_permissions.add(change_user, view_user)
    target = factories.make_user(account, "target", rights=[])
    target.user_permissions.add(delete_user)
    client.force_login(staff)
    request = client.get(f"/staff/accounts/user/{target.pk}/change/").wsgi_request
    request.user = staff
    from django.contrib import admin

    model_admin = admin.site.get_model_admin(User)
    assert "is_superuser" in model_admin.get_readonly_fields(request, target)
    form_class = model_admin.get_form(request, target, change=True)
    base = {**form_class(instance=target).initial, "date_joined_0": "", "date_joined_1": ""}

    def attempt(permissions):
        data = {k: v for k, v in base.items() if v is not None and not isinstance(v, list | tuple)}
        data["user_permissions"] = [p.pk for p in permissions]
        data["groups"] = []
        return form_class(data, instance=target)

    refused = attempt([delete_user, Permission.objects.get(codename="add_user")])
    assert not refused.is_valid() and "user_permissions" in refused.errors
    kept = attempt([delete_user, view_user])
    assert "user_permissions" not in kept.errors
    removed = attempt([])
    assert "user_permissions" not in removed.errors
