"""ACC-3: five failed logins in a row lock the user until an administrator or staff unlocks it;
the messages never tell whether a user exists; failed logins are throttled per client address."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse

from accounts.models import AuditEvent, Right, User
from accounts.services import LOCK_MESSAGE, unlock_user
from portal import urls as portal_urls
from tests import factories
from tests.factories import PASSWORD

# Until portal/urls.py includes the second-factor URLs, this module's URLconf adds them.
urlpatterns = list(portal_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "twofactor" for p in urlpatterns):
    urlpatterns.append(path("", include("accounts.twofactor.urls")))

LOGIN = "/accounts/login/"
WRONG = "not-the-password-1"


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.STAFF_REQUIRE_2FA = False


def log_in(client, login, password=PASSWORD, address="10.0.0.1"):
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=address)


def errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def fail(client, login, times, address="10.0.0.1"):
    return [log_in(client, login, WRONG, address) for _ in range(times)][-1]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failures_lock_the_user_and_the_right_password_no_longer_opens(client, tech):
    fourth = fail(client, tech.username, 4)
    tech.refresh_from_db()
    assert tech.failed_login_count == 4 and tech.locked_at is None
    assert str(LOCK_MESSAGE) not in errors(fourth)

    fifth = log_in(client, tech.username, WRONG)
    assert errors(fifth) == [str(LOCK_MESSAGE)]
    tech.refresh_from_db()
    assert tech.locked_at is not None

    right = log_in(client, tech.username)
    assert right.status_code == 200
    assert errors(right) == [str(LOCK_MESSAGE)]
    assert not is_logged_in(client)
    by_email = log_in(client, tech.email)
    assert errors(by_email) == [str(LOCK_MESSAGE)] and not is_logged_in(client)


@pytest.mark.django_db
def test_failures_and_the_lock_are_audited_with_the_address(client, tech):
    fail(client, tech.username, 5, address="192.0.2.7")
    events = AuditEvent.objects.filter(user=tech).order_by("id")
    assert [e.action for e in events] == ["login.failed"] * 5 + ["login.locked"]
    assert {e.ip_address for e in events} == {"192.0.2.7"}
    assert all(e.account_id == tech.account_id for e in events)
    assert WRONG not in str([e.details for e in events])  # the typed password is never recorded


@pytest.mark.django_db
def test_failures_must_be_consecutive(client, tech):
    fail(client, tech.username, 4)
    assert log_in(client, tech.username).status_code == 302
    tech.refresh_from_db()
    assert tech.failed_login_count == 0
    client.post(reverse("account_logout"))
    fail(client, tech.username, 4)
    tech.refresh_from_db()
    assert tech.locked_at is None


@pytest.mark.django_db
def test_an_unknown_name_gets_exactly_the_messages_of_a_real_user(client, tech):
    """No enumeration: the same generic error, then the same lock message at the fifth failure."""
    real = [errors(log_in(client, tech.username, WRONG)) for _ in range(5)]
    unknown = [errors(log_in(client, "nobody-at-all", WRONG)) for _ in range(5)]
    assert real == unknown
    assert real[0] != real[4] == [str(LOCK_MESSAGE)]
    # ... and the right password of a locked user reads like any password on an unknown name.
    assert errors(log_in(client, tech.username)) == errors(log_in(client, "nobody-at-all", PASSWORD))
    assert AuditEvent.objects.filter(action="login.failed", actor_name="nobody-at-all").exists()


@pytest.mark.django_db
def test_staff_unlock_in_the_back_office_restores_login(client, tech, staff):
    fail(client, tech.username, 5)
    admin_client = client.__class__()
    admin_client.force_login(staff)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "unlock_selected",
            "_selected_action": [tech.pk],
        },
    )
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.locked_at is None and tech.failed_login_count == 0
    event = AuditEvent.objects.get(action="login.unlocked")
    assert event.user == staff and event.object_id == tech.public_id and event.is_staff_action
    assert log_in(client, tech.username).status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_an_administrator_of_the_account_may_unlock(client, tech, owner):
    fail(client, tech.username, 5)
    assert unlock_user(tech, by=owner) is True
    assert unlock_user(tech, by=owner) is False  # idempotent: nothing more to do, nothing audited
    assert AuditEvent.objects.filter(action="login.unlocked").count() == 1
    assert log_in(client, tech.username).status_code == 302


@pytest.mark.django_db
def test_others_may_not_unlock(client, tech, billing, outsider, account):
    fail(client, tech.username, 5)
    admin_only = factories.make_user(account, "admin-right", rights=[Right.ADMINISTRATIVE])
    for stranger in (billing, outsider):
        with pytest.raises(PermissionDenied):
            unlock_user(tech, by=stranger)
    tech.refresh_from_db()
    assert tech.locked_at is not None
    assert unlock_user(tech, by=admin_only) is True


@pytest.mark.django_db
def test_the_lock_ends_the_locked_users_open_sessions(client, tech):
    victim = client.__class__()
    assert log_in(victim, tech.username).status_code == 302
    assert victim.get(reverse("home")).status_code == 200
    fail(client, tech.username, 5)
    response = victim.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_failed_logins_are_throttled_per_client_address(client, account):
    for number in range(10):
        assert "Too many" not in " ".join(errors(log_in(client, f"name-{number}", WRONG, "198.51.100.1")))
    throttled = log_in(client, "name-x", WRONG, "198.51.100.1")
    assert any("Too many failed login attempts" in e for e in errors(throttled))
    other_address = log_in(client, "name-y", WRONG, "198.51.100.2")
    assert not any("Too many" in e for e in errors(other_address))


@pytest.mark.django_db
def test_the_login_page_explains_the_lock(client):
    page = client.get(LOGIN).content.decode()
    assert "After 5 wrong passwords in a row a login is locked" in page


@pytest.mark.django_db
def test_the_back_office_has_no_login_form_of_its_own(client, staff):
    response = client.get("/staff/login/?next=/staff/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "next=/staff/accounts/" in response["Location"]
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_the_backends_refuse_a_locked_user_to_any_caller(tech):
    from django.contrib.auth import authenticate

    assert authenticate(None, username=tech.username, password=PASSWORD) == tech
    User.objects.filter(pk=tech.pk).update(locked_at="2026-01-01T00:00:00Z")
    assert authenticate(None, username=tech.username, password=PASSWORD) is None


@pytest.mark.django_db
def test_the_back_office_shows_the_lock_and_the_passkeys_of_a_user(client, tech, staff):
    from accounts.models import WebAuthnCredential

    fail(client, tech.username, 5)
    WebAuthnCredential.objects.create(user=tech, name="Support laptop", credential_id="abc", public_key=b"k")
    client.force_login(staff)
    locked = client.get(reverse("admin:accounts_user_changelist") + "?locked=yes").content.decode()
    assert tech.username in locked
    assert (
        tech.username
        not in client.get(reverse("admin:accounts_user_changelist") + "?locked=no").content.decode()
    )
    page = client.get(reverse("admin:accounts_user_change", args=[tech.pk])).content.decode()
    assert "Support laptop" in page and "Login security" in page
