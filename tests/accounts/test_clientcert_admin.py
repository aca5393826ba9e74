"""ADM-3: the certificate actions of users administration in a certificate-login account: the users
list with certificates, issuing (PKCS#12 or browser link, also to reactivate), suspend (orange),
revoke and block (red), delete; rights, other accounts, audit, recent authentication."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, ClientCertificate, Right, User
from tests import factories
from tests.support import clientcert as support
from tests.support.clientcert import (
    P12_PASSWORD,
    URLCONF,
    issue,
    log_in_by_certificate,
    use_clientcert_settings,
)

# Shared fixtures (tests/support/clientcert.py).
cert_account, cert_admin, cert_owner, cert_tech = (
    support.cert_account,
    support.cert_admin,
    support.cert_owner,
    support.cert_tech,
)

ACTIONS = ("pkcs12", "link", "suspend", "revoke", "delete")
State = ClientCertificate.State


@pytest.fixture(autouse=True)
def _settings(settings):
    use_clientcert_settings(settings)


@pytest.fixture
def admin_client(client, cert_admin):
    issue(cert_admin, by=cert_admin)
    return log_in_by_certificate(client, cert_admin)


def url(user, action):
    return f"/administration/users/{user.public_id}/certificate/{action}/"


def certificate_routes():
    return [
        (route, p)
        for route, p in routes_of(URLCONF)
        if route.startswith("administration/") and "/certificate/" in route
    ]


def routes_of(urlconf):
    from django.urls import get_resolver

    from tests.support.routes import walk

    return list(walk(get_resolver(urlconf).url_patterns))


# Rights and isolation ----------------------------------------------------------------------------


def test_every_certificate_action_needs_the_administrative_right():
    found = certificate_routes()
    assert len(found) == len(ACTIONS)
    for route, pattern in found:
        assert pattern.callback.required_rights == (Right.ADMINISTRATIVE,), route


@pytest.mark.django_db
def test_tech_gets_403(client, cert_tech, cert_admin):
    log_in_by_certificate(client, cert_tech)
    for action in ACTIONS:
        assert client.get(url(cert_admin, action)).status_code == 403, action
        assert client.post(url(cert_admin, action)).status_code == 403, action


@pytest.mark.django_db
def test_another_accounts_user_is_not_found(admin_client, outsider):
    for action in ACTIONS:
        assert admin_client.get(url(outsider, action)).status_code == 404, action
        assert admin_client.post(url(outsider, action)).status_code == 404, action
    outsider.refresh_from_db()
    assert outsider.is_active


@pytest.mark.django_db
def test_accounts_that_do_not_log_in_by_certificate_have_no_such_actions(client, owner, tech):
    from tests.support.routes import log_in

    log_in(client, owner)
    for action in ACTIONS:
        assert client.get(url(tech, action)).status_code == 404, action


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, cert_tech):
    for action in ACTIONS:
        response = client.get(url(cert_tech, action))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), action


@pytest.mark.django_db
def test_nobody_acts_on_themself_and_the_super_user_is_only_reissued(admin_client, cert_admin, cert_owner):
    for action in ACTIONS:
        assert admin_client.get(url(cert_admin, action)).status_code == 403, action
    for action in ("suspend", "revoke", "delete"):
        assert admin_client.post(url(cert_owner, action)).status_code == 403, action
    assert admin_client.get(url(cert_owner, "pkcs12")).status_code == 200


def test_every_certificate_view_declares_its_rights_and_only_two_are_public():
    """What tests/accounts/test_permissions.py checks on portal.urls, on this package's views."""
    ours = [
        (route, p)
        for route, p in routes_of(URLCONF)
        if p.callback.__module__.startswith("accounts.clientcert")
    ]
    assert len(ours) == 11
    assert all(hasattr(p.callback, "required_rights") for _route, p in ours)
    public = {route for route, p in ours if getattr(p.callback, "public", False)}
    assert public == {"accounts/certificate-login/", "accounts/certificate-enrol/<str:token>/"}


# The list ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_certificates_and_their_actions(admin_client, cert_admin, cert_tech, cert_owner):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    page = admin_client.get("/administration/users/").content.decode()
    assert "Certificate actions" in page
    assert f'data-testid="cert-actions-{cert_tech.public_id}"' in page
    assert url(cert_tech, "suspend") in page and url(cert_tech, "revoke") in page
    assert url(cert_tech, "delete") in page and url(cert_tech, "pkcs12") in page
    assert f'data-testid="cert-actions-{cert_admin.public_id}"' not in page  # not on oneself
    assert url(cert_owner, "suspend") not in page and url(cert_owner, "pkcs12") in page
    assert 'class="warn"' in page and 'class="danger"' in page
    assert "cert-state-active" in page


@pytest.mark.django_db
def test_list_runs_a_constant_number_of_queries(admin_client, cert_account, cert_admin):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/administration/users/").status_code == 200
        return len(queries)

    factories.make_user(cert_account, "one")
    before = count()
    for i in range(6):
        issue(factories.make_user(cert_account, f"more{i}"), by=cert_admin)
    assert count() == before


@pytest.mark.django_db
def test_user_page_shows_the_certificates(admin_client, cert_admin, cert_tech):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    page = admin_client.get(f"/administration/users/{cert_tech.public_id}/").content.decode()
    assert record.serial in page and 'data-testid="user-certificates"' in page


@pytest.mark.django_db
def test_adding_a_user_goes_on_to_their_certificate(admin_client):
    data = {
        "first_name": "Nina",
        "last_name": "New",
        "email": "nina@cipher.test",
        "phone": "",
        "username": "nina-cipher",
        "password1": "Quartz-Meadow-Lantern-77",
        "password2": "Quartz-Meadow-Lantern-77",
        "rights": ["administrative"],  # the only right the administrator holds (issue 13)
        "language": "en",
    }
    response = admin_client.post("/administration/users/add/", data)
    nina = User.objects.get(username="nina-cipher")
    assert response.status_code == 302
    assert response["Location"] == f"/administration/users/{nina.public_id}/#certificate"


# Issuing -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pkcs12_download_opens_with_the_password_typed(admin_client, cert_admin, cert_tech):
    assert admin_client.get(url(cert_tech, "pkcs12")).status_code == 200
    response = admin_client.post(
        url(cert_tech, "pkcs12"), {"password1": P12_PASSWORD, "password2": P12_PASSWORD}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pkcs12"
    assert f'filename="{cert_tech.username}-portal-login.p12"' in response["Content-Disposition"]
    key, cert, _chain = pkcs12.load_key_and_certificates(response.content, P12_PASSWORD.encode())
    record = ClientCertificate.objects.get(user=cert_tech)
    assert record.serial == f"{cert.serial_number:x}" and record.created_by == cert_admin
    assert AuditEvent.objects.filter(
        action="clientcert.issued", user=cert_admin, object_id=cert_tech.public_id
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, field, text",
    [
        ({"password1": "short", "password2": "short"}, "password1", "at least 12"),
        ({"password1": P12_PASSWORD, "password2": P12_PASSWORD + "x"}, "password2", "differ"),
        ({"password1": "", "password2": ""}, "password1", "required"),
    ],
)
def test_pkcs12_form_shows_errors_next_to_the_field(admin_client, cert_tech, data, field, text):
    response = admin_client.post(url(cert_tech, "pkcs12"), data)
    assert response.status_code == 200
    assert text in " ".join(response.context["form"].errors[field])
    assert f'id="field-{field}"' in response.content.decode()
    assert not ClientCertificate.objects.filter(user=cert_tech).exists()


@pytest.mark.django_db
def test_pkcs12_form_needs_a_recent_authentication_before_it_opens(client, cert_admin, cert_tech):
    issue(cert_admin, by=cert_admin)
    log_in_by_certificate(client, cert_admin, seconds_ago=3600)
    response = client.get(url(cert_tech, "pkcs12"))
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/certificate-reauthenticate/"
    )


@pytest.mark.django_db
def test_browser_link_is_sent_and_shown_once(
    admin_client, cert_tech, mailoutbox, django_capture_on_commit_callbacks
):
    assert admin_client.get(url(cert_tech, "link")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(cert_tech, "link"))
    assert response.status_code == 200
    shown = response.content.decode().split('data-testid="enrolment-url">')[1].split("<")[0]
    assert "/accounts/certificate-enrol/" in shown
    assert mailoutbox[0].to == [cert_tech.email] and shown in mailoutbox[0].body
    assert Client().get(urlsplit(shown).path).status_code == 200


@pytest.mark.django_db
def test_reactivation_of_a_blocked_user_issues_a_new_certificate(admin_client, cert_admin, cert_tech):
    old, _cert, _key = issue(cert_tech, by=cert_admin)
    assert admin_client.post(url(cert_tech, "revoke")).status_code == 302
    cert_tech.refresh_from_db()
    assert not cert_tech.is_active
    page = admin_client.get(f"/administration/users/{cert_tech.public_id}/").content.decode()
    assert "Reactivate with a new certificate" in page

    admin_client.post(url(cert_tech, "pkcs12"), {"password1": P12_PASSWORD, "password2": P12_PASSWORD})

    cert_tech.refresh_from_db()
    assert cert_tech.is_active
    assert ClientCertificate.objects.filter(user=cert_tech, state=State.ACTIVE).count() == 1
    assert ClientCertificate.objects.get(pk=old.pk).state == State.REVOKED
    assert AuditEvent.objects.filter(action="clientcert.reactivated", user=cert_admin).exists()


# Suspend, revoke and block, delete -----------------------------------------------------------------


def other_session(user) -> Client:
    other = Client()
    log_in_by_certificate(other, user)
    assert other.get("/me/certificate/").status_code == 200
    return other


@pytest.mark.django_db
def test_suspend_stops_the_certificate_and_ends_sessions(admin_client, cert_admin, cert_tech):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    theirs = other_session(cert_tech)
    assert "Suspend" in admin_client.get(url(cert_tech, "suspend")).content.decode()

    response = admin_client.post(url(cert_tech, "suspend"))

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == State.SUSPENDED
    assert theirs.get("/me/certificate/").status_code == 302  # logged out
    event = AuditEvent.objects.get(action="clientcert.suspended")
    assert event.user == cert_admin and event.details["serials"] == [record.serial]
    # Idempotent: nothing more to suspend.
    admin_client.post(url(cert_tech, "suspend"))
    assert AuditEvent.objects.filter(action="clientcert.suspended").count() == 1


@pytest.mark.django_db
def test_revoke_and_block(admin_client, cert_admin, cert_tech):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    theirs = other_session(cert_tech)
    admin_client.post(url(cert_tech, "revoke"))
    record.refresh_from_db()
    cert_tech.refresh_from_db()
    assert record.state == State.REVOKED and record.revoked_at and record.reason == "revoked_by_administrator"
    assert not cert_tech.is_active
    assert theirs.get("/me/certificate/").status_code == 302
    event = AuditEvent.objects.get(action="clientcert.revoked")
    assert event.details == {"username": cert_tech.username, "revoked": [record.serial], "blocked": True}


@pytest.mark.django_db
def test_delete_revokes_and_keeps_the_record_for_the_audit(admin_client, cert_admin, cert_tech):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    response = admin_client.post(url(cert_tech, "delete"))
    assert response.status_code == 302 and response["Location"] == "/administration/users/"
    assert not User.objects.filter(pk=cert_tech.pk).exists()
    record.refresh_from_db()
    assert record.user is None and record.state == State.REVOKED and record.username == cert_tech.username
    assert {"clientcert.revoked", "user.deleted"} <= set(AuditEvent.objects.values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["suspend", "revoke", "delete", "link"])
def test_actions_without_recent_authentication_are_not_done(client, cert_admin, cert_tech, action):
    record, _cert, _key = issue(cert_tech, by=cert_admin)
    issue(cert_admin, by=cert_admin)
    log_in_by_certificate(client, cert_admin, seconds_ago=3600)
    assert client.get(url(cert_tech, action)).status_code == 200  # the confirmation page
    response = client.post(url(cert_tech, action))
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/certificate-reauthenticate/"
    )
    record.refresh_from_db()
    assert record.state == State.ACTIVE and User.objects.filter(pk=cert_tech.pk, is_active=True).exists()
