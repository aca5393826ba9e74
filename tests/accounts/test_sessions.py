"""ACC-9 sessions (idle and absolute limits, other sessions end on password change) and ACC-4's
password change forced 12 months after the last one."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.session_security import LOGIN_AT_KEY, SEEN_AT_KEY
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Quartz-Meadow-Harbour-77"


@pytest.fixture(autouse=True)
def _urls(settings, monkeypatch):
    settings.STAFF_REQUIRE_2FA = False


def log_in(client, user, password=PASSWORD):
    response = client.post(LOGIN, {"login": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def is_sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- Idle and absolute limits ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_session_idle_for_longer_than_the_setting_ends(client, owner, settings):
    assert settings.SESSION_IDLE_SECONDS == 1800  # default: 30 minutes (ACC-9)
    log_in(client, owner)
    age_session(client, **{SEEN_AT_KEY: 1700})
    assert client.get(reverse("home")).status_code == 200
    age_session(client, **{SEEN_AT_KEY: 1801})
    response = client.get(reverse("home"))
    assert is_sent_to_login(response)
    assert "_auth_user_id" not in client.session
    assert "30 minutes without activity" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_the_idle_limit_follows_the_setting(client, owner, settings):
    settings.SESSION_IDLE_SECONDS = 60
    log_in(client, owner)
    age_session(client, **{SEEN_AT_KEY: 90})
    assert is_sent_to_login(client.get(reverse("home")))


@pytest.mark.django_db
def test_activity_keeps_the_session_alive(client, owner):
    log_in(client, owner)
    age_session(client, **{SEEN_AT_KEY: 1700})
    client.get(reverse("home"))  # refreshes the last-seen time
    assert time.time() - client.session[SEEN_AT_KEY] < 5


@pytest.mark.django_db
def test_a_session_ends_at_the_absolute_limit_even_when_active(client, owner, settings):
    log_in(client, owner)
    age_session(client, **{LOGIN_AT_KEY: settings.SESSION_COOKIE_AGE + 1, SEEN_AT_KEY: 10})
    response = client.get(reverse("home"))
    assert is_sent_to_login(response)
    assert "maximum length" in client.get(response["Location"]).content.decode()


# --- Other sessions end when the password changes ---------------------------------------------


@pytest.mark.django_db
def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(owner):
    here, elsewhere = Client(), Client()
    log_in(here, owner)
    log_in(elsewhere, owner)
    assert elsewhere.get(reverse("home")).status_code == 200
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("home")).status_code == 200
    assert is_sent_to_login(elsewhere.get(reverse("home")))
    assert log_in(elsewhere, owner, NEW_PASSWORD)


# --- Password age (ACC-4) --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_way_of_setting_a_password_restarts_its_clock(owner):
    User.objects.filter(pk=owner.pk).update(password_changed_at=timezone.now() - timedelta(days=400))
    owner.refresh_from_db()
    owner.set_password(NEW_PASSWORD)
    owner.save()
    owner.refresh_from_db()
    assert timezone.now() - owner.password_changed_at < timedelta(seconds=5)


@pytest.mark.django_db
def test_a_hash_upgrade_is_not_a_password_change(owner):
    """Django rehashes an outdated hash at login; the password did not change."""
    former = timezone.now() - timedelta(days=100)
    User.objects.filter(pk=owner.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256"), password_changed_at=former
    )
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    owner.refresh_from_db()
    assert owner.password.startswith("argon2")
    assert owner.password_changed_at == former


@pytest.mark.django_db
def test_a_password_older_than_12_months_must_be_changed_first(client, owner):
    User.objects.filter(pk=owner.pk).update(password_changed_at=timezone.now() - timedelta(days=366))
    home = client.get(log_in(client, owner)["Location"])
    change_url = reverse("account_change_password")
    assert home.status_code == 302 and home["Location"].startswith(change_url)
    for url in (reverse("home"), reverse("twofactor:security")):
        assert client.get(url)["Location"].startswith(change_url)
    page = client.get(home["Location"])
    assert page.status_code == 200
    assert "more than 12 months old" in page.content.decode()

    same = client.post(change_url, {"oldpassword": PASSWORD, "password1": PASSWORD, "password2": PASSWORD})
    assert same.status_code == 200
    assert "different from your current one" in same.content.decode()

    done = client.post(
        home["Location"], {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("home")
    owner.refresh_from_db()
    assert timezone.now() - owner.password_changed_at < timedelta(seconds=5)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_a_password_younger_than_12_months_is_left_alone(client, owner):
    User.objects.filter(pk=owner.pk).update(password_changed_at=timezone.now() - timedelta(days=360))
    assert client.get(log_in(client, owner)["Location"]).status_code == 200


@pytest.mark.django_db
def test_logout_stays_possible_with_an_expired_password(client, owner):
    User.objects.filter(pk=owner.pk).update(password_changed_at=timezone.now() - timedelta(days=366))
    log_in(client, owner)
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session
