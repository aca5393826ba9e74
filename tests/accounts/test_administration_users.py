"""ADM-1 / ADM-2: users administration under /administration/users/; STAFF-1 change of super user."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.administration.services import UserAdminError, change_account_superuser
from accounts.administration.staff_actions import make_account_superuser
from accounts.audit import log_action
from accounts.models import AuditEvent, Right, User
from tests import factories
from tests.support.routes import (
    concrete,
    is_reauth_redirect,
    log_in,
    log_in_long_ago,
    routes,
    use_route_settings,
)

USERS = "/administration/users/"
NEW_PASSWORD = "Quartz-Meadow-Lantern-77"


@pytest.fixture(autouse=True)
def _route_settings(settings):
    use_route_settings(settings)


@pytest.fixture
def admin(account):
    """An administrator who is not the super user (ADM-2 Administrative right only)."""
    return factories.make_user(account, "admin", rights=[Right.ADMINISTRATIVE])


def url(user, action=""):
    return f"{USERS}{user.public_id}/" + (f"{action}/" if action else "")


def add_data(**overrides):
    data = {
        "first_name": "Nina",
        "last_name": "New",
        "email": "nina@acme.test",
        "phone": "+33 1 02 03 04 07",
        "username": "nina",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "rights": [Right.ADMINISTRATIVE.value],
        "language": "fr",
        "notify": "on",
    }
    data.update(overrides)
    return data


# Rights ------------------------------------------------------------------------------------------


def test_every_administration_view_declares_the_administrative_right():
    found = routes("administration/")
    assert len(found) >= 14
    for route, pattern in found:
        assert Right.ADMINISTRATIVE in pattern.callback.required_rights, route


@pytest.mark.django_db
def test_tech_gets_403_on_every_administration_page(client, tech):
    log_in(client, tech)
    for route, _pattern in routes("administration/"):
        assert client.get(concrete(route)).status_code == 403, route
        assert client.post(concrete(route)).status_code == 403, route


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    for route, _pattern in routes("administration/"):
        response = client.get(concrete(route))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), route


@pytest.mark.django_db
def test_other_accounts_user_is_not_found(client, owner, outsider):
    log_in(client, owner)
    for action in ("", "suspend", "reactivate", "delete", "unlock"):
        assert client.get(url(outsider, action)).status_code == 404, action
        assert client.post(url(outsider, action)).status_code == 404, action
    outsider.refresh_from_db()
    assert outsider.is_active


# List --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_the_accounts_users_with_rights_and_state(client, owner, tech, billing, outsider):
    suspended = factories.make_user(owner.account, "gone", rights=[Right.COMMERCIAL])
    User.objects.filter(pk=suspended.pk).update(is_active=False)
    locked = factories.make_user(owner.account, "locked")
    User.objects.filter(pk=locked.pk).update(locked_at=timezone.now())
    log_in(client, owner)
    page = client.get(USERS).content.decode()
    for user in (owner, tech, billing, suspended, locked):
        assert user.username in page
        assert url(user) in page  # linked by public id, never by pk
    assert outsider.username not in page
    assert 'class="badge right-super"' in page
    assert 'class="badge right-technical"' in page
    assert 'class="badge right-commercial"' in page  # shown while suspended too
    assert 'class="badge state-suspended"' in page
    assert 'class="badge state-locked"' in page


@pytest.mark.django_db
def test_list_is_sortable_and_paginated(client, owner):
    for i in range(30):
        factories.make_user(owner.account, f"user{i:02d}")
    log_in(client, owner)
    first = client.get(USERS, {"sort": "username"}).content.decode()
    assert "user00" in first and "user29" not in first
    second = client.get(USERS, {"sort": "username", "page": 2}).content.decode()
    assert "user29" in second


@pytest.mark.django_db
def test_list_runs_a_constant_number_of_queries(client, owner):
    log_in(client, owner)
    client.get(USERS)
    with CaptureQueriesContext(connection) as few:
        client.get(USERS)
    for i in range(15):
        factories.make_user(owner.account, f"more{i}", rights=[Right.TECHNICAL])
    with CaptureQueriesContext(connection) as many:
        client.get(USERS)
    assert len(many) == len(few)


# Add ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_administrator_adds_a_user_who_is_emailed_without_password(
    client, admin, mailoutbox, django_capture_on_commit_callbacks
):
    log_in(client, admin)
    assert 'name="password2"' in client.get(f"{USERS}add/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{USERS}add/", add_data())
    user = User.objects.get(username="nina")
    assert response.status_code == 302 and response["Location"] == url(user)
    assert user.account == admin.account and not user.is_account_superuser and not user.is_api_user
    assert user.rights == [Right.ADMINISTRATIVE]
    assert user.check_password(NEW_PASSWORD)
    assert (user.first_name, user.last_name, user.email, user.phone, user.language) == (
        "Nina",
        "New",
        "nina@acme.test",
        "+33 1 02 03 04 07",
        "fr",
    )
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nina@acme.test"]
    assert "nina" in mail.body and "/accounts/login/" in mail.body
    assert NEW_PASSWORD not in mail.body and NEW_PASSWORD not in mail.alternatives[0][0]
    event = AuditEvent.objects.get(action="user.created")
    assert event.user == admin and event.object_id == user.public_id
    assert event.details["rights"] == ["administrative"] and event.details["notified"] is True
    assert NEW_PASSWORD not in str(event.details)


@pytest.mark.django_db
def test_no_email_without_notify(client, owner, mailoutbox, django_capture_on_commit_callbacks):
    log_in(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{USERS}add/", add_data(notify=""))
    assert User.objects.filter(username="nina").exists()
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"password2": "Another-Password-99"}, "password2", "The two passwords differ."),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
        ({"username": "tech-{pk}"}, "username", "already taken"),
        ({"username": "ni@na"}, "username", "cannot contain"),
        ({"email": "TECH-{pk}@example.test"}, "email", "Another user already has this email."),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"rights": ["superpower"]}, "rights", "Select a valid choice"),
    ],
)
def test_add_user_refuses_bad_input_next_to_the_field(client, owner, tech, overrides, field, text):
    overrides = {
        k: (v.format(pk=owner.account.pk) if isinstance(v, str) else v) for k, v in overrides.items()
    }
    log_in(client, owner)
    response = client.post(f"{USERS}add/", add_data(**overrides))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert text in errors
    assert 'value="Nina"' in response.content.decode()  # what was typed stays
    assert not User.objects.filter(first_name="Nina").exists()


@pytest.mark.django_db
def test_add_user_needs_a_recent_authentication(client, owner):
    log_in_long_ago(client, owner)
    response = client.get(f"{USERS}add/")
    assert is_reauth_redirect(response, "/administration/users/add/")


# Rights ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_administrator_changes_rights(client, account, tech):
    admin = factories.make_user(
        account, "admin", rights=[Right.ADMINISTRATIVE, Right.TECHNICAL, Right.COMMERCIAL]
    )
    log_in(client, admin)
    page = client.get(url(tech)).content.decode()
    assert 'name="rights"' in page and tech.email in page
    response = client.post(url(tech), {"rights": [Right.COMMERCIAL.value]})
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.rights == [Right.COMMERCIAL]
    event = AuditEvent.objects.get(action="user.rights_changed")
    assert event.details == {"before": ["technical"], "after": ["commercial"]}
    client.post(url(tech), {"rights": [Right.COMMERCIAL.value]})
    assert AuditEvent.objects.filter(action="user.rights_changed").count() == 1  # nothing changed


@pytest.mark.django_db
def test_identity_is_not_editable_by_the_administrator(client, owner, tech):
    log_in(client, owner)
    client.post(
        url(tech), {"rights": [Right.TECHNICAL.value], "first_name": "Hacked", "email": "x@evil.test"}
    )
    tech.refresh_from_db()
    assert tech.first_name == "Tech" and tech.email != "x@evil.test"


@pytest.mark.django_db
def test_nobody_changes_the_super_users_or_their_own_rights(client, admin, owner):
    log_in(client, admin)
    page = client.get(url(owner)).content.decode()
    assert 'name="rights"' not in page
    assert client.post(url(owner), {"rights": []}).status_code == 403
    assert client.post(url(admin), {"rights": [r.value for r in Right]}).status_code == 403
    admin.refresh_from_db()
    owner.refresh_from_db()
    assert admin.rights == [Right.ADMINISTRATIVE] and owner.is_account_superuser


@pytest.mark.django_db
def test_rights_change_without_recent_authentication_goes_through_reauthentication(client, owner, tech):
    log_in_long_ago(client, owner)
    assert client.get(url(tech)).status_code == 200  # looking needs no password
    response = client.post(url(tech), {"rights": [Right.BILLING.value]})
    assert is_reauth_redirect(response, url(tech))
    tech.refresh_from_db()
    assert tech.rights == [Right.TECHNICAL]


# Suspend, reactivate, delete, unlock -------------------------------------------------------------


@pytest.mark.django_db
def test_suspension_ends_the_users_sessions(client, owner, tech):
    tech_client = Client()
    tech_client.force_login(tech)
    other_session = Client()
    other_session.force_login(tech)
    assert tech_client.get("/home/").status_code == 200
    log_in(client, owner)
    assert "Suspend" in client.get(url(tech, "suspend")).content.decode()
    response = client.post(url(tech, "suspend"))
    assert response.status_code == 302
    tech.refresh_from_db()
    assert not tech.is_active
    remaining = [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(tech.pk)]
    assert remaining == []
    assert tech_client.get("/home/")["Location"].startswith("/accounts/login/")
    assert client.get("/home/").status_code == 200  # the administrator's own session stays
    event = AuditEvent.objects.get(action="user.suspended")
    assert event.details["sessions_ended"] == 2
    client.post(url(tech, "suspend"))
    assert AuditEvent.objects.filter(action="user.suspended").count() == 1  # idempotent


@pytest.mark.django_db
def test_reactivation(client, owner, tech):
    User.objects.filter(pk=tech.pk).update(is_active=False)
    log_in(client, owner)
    client.post(url(tech, "reactivate"))
    tech.refresh_from_db()
    assert tech.is_active
    assert AuditEvent.objects.filter(action="user.reactivated", object_id=tech.public_id).exists()


@pytest.mark.django_db
def test_suspension_without_recent_authentication_is_not_done(client, owner, tech):
    log_in_long_ago(client, owner)
    response = client.post(url(tech, "suspend"))
    assert is_reauth_redirect(response, url(tech, "suspend"))
    tech.refresh_from_db()
    assert tech.is_active


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["suspend", "reactivate", "delete"])
def test_nobody_suspends_or_deletes_themself_or_the_super_user(client, admin, owner, action):
    log_in(client, admin)
    for target in (admin, owner):
        assert client.get(url(target, action)).status_code == 403
        assert client.post(url(target, action)).status_code == 403
    assert User.objects.filter(pk__in=[admin.pk, owner.pk], is_active=True).count() == 2


@pytest.mark.django_db
def test_deletion_keeps_the_users_name_in_the_logs(client, owner, tech):
    with mock.patch("accounts.audit.client_ip", return_value=None):
        log_action("order.submitted", account=tech.account, user=tech)
    log_in(client, owner)
    response = client.post(url(tech, "delete"))
    assert response.status_code == 302 and response["Location"] == USERS
    assert not User.objects.filter(pk=tech.pk).exists()
    earlier = AuditEvent.objects.get(action="order.submitted")
    assert earlier.user is None and earlier.actor_name == "Tech User"
    deleted = AuditEvent.objects.get(action="user.deleted")
    assert deleted.object_id == tech.public_id and deleted.details["username"] == tech.username


@pytest.mark.django_db
def test_service_refuses_the_super_user_even_when_called_directly(admin, owner):
    from accounts.administration.services import delete_user, suspend_user

    with pytest.raises(UserAdminError):
        suspend_user(owner, by=admin)
    with pytest.raises(UserAdminError):
        delete_user(owner, by=admin)


@pytest.mark.django_db
def test_administrator_unlocks_a_locked_user(client, admin, tech):
    User.objects.filter(pk=tech.pk).update(locked_at=timezone.now(), failed_login_count=5)
    log_in(client, admin)
    assert url(tech, "unlock") in client.get(url(tech)).content.decode()
    response = client.post(url(tech, "unlock"))
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.locked_at is None and tech.failed_login_count == 0
    assert AuditEvent.objects.filter(action="login.unlocked", object_id=tech.public_id).exists()


@pytest.mark.django_db
def test_api_users_are_not_managed_as_people(client, owner):
    api_user = factories.make_user(owner.account, "robot")
    User.objects.filter(pk=api_user.pk).update(is_api_user=True)
    log_in(client, owner)
    assert api_user.username not in client.get(USERS).content.decode()
    assert client.get(url(api_user)).status_code == 404


# Staff: change of super user (STAFF-1) -----------------------------------------------------------


@pytest.mark.django_db
def test_staff_action_makes_another_user_super_user(rf, staff, owner, tech):
    admin_ = mock.Mock()
    request = rf.post("/staff/accounts/user/")
    request.user = staff
    make_account_superuser(admin_, request, User.objects.filter(pk=tech.pk))
    owner.refresh_from_db()
    tech.refresh_from_db()
    assert tech.is_account_superuser and not owner.is_account_superuser
    assert owner.rights == list(Right)  # the former super user keeps every right, ticked
    event = AuditEvent.objects.get(action="account.superuser_changed")
    assert event.is_staff_action and event.details == {"new": tech.username, "former": owner.username}
    assert change_account_superuser(tech, by=staff) is False  # idempotent


@pytest.mark.django_db
def test_staff_action_refuses_several_users_or_non_staff(rf, staff, owner, tech, billing):
    admin_ = mock.Mock()
    request = rf.post("/staff/accounts/user/")
    request.user = staff
    make_account_superuser(admin_, request, User.objects.filter(pk__in=[tech.pk, billing.pk]))
    assert "exactly one" in str(admin_.message_user.call_args[0][1])
    with pytest.raises(UserAdminError):
        change_account_superuser(tech, by=owner)
    owner.refresh_from_db()
    assert owner.is_account_superuser


@pytest.mark.django_db
def test_confirming_the_password_replays_the_suspension(client, owner, tech):
    log_in_long_ago(client, owner)
    first = client.post(url(tech, "suspend"))
    assert is_reauth_redirect(first, url(tech, "suspend"))
    wrong = client.post(first["Location"], {"password": "not-my-password-1"})
    assert wrong.status_code == 200
    tech.refresh_from_db()
    assert tech.is_active
    response = client.post(first["Location"], {"password": factories.PASSWORD})
    assert response.status_code == 302
    tech.refresh_from_db()
    assert not tech.is_active
    assert AuditEvent.objects.filter(action="user.suspended", user=owner).count() == 1
