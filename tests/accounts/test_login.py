"""ACC-3 (basic): allauth login by username or email, logout, forgotten password; ACC-8 last login."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, User
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Sapphire-Lantern-2031"


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """allauth counts failed logins in the cache: keep this module's counts away from a shared Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def post_on_commit(client, django_capture_on_commit_callbacks):
    def _post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return _post


def log_in(client, login, password=PASSWORD):
    return client.post(LOGIN, {"login": login, "password": password})


@pytest.mark.django_db
def test_welcome_page_offers_login_and_registration(client):
    page = client.get("/").content.decode()
    assert f'href="{reverse("account_login")}"' in page
    assert f'href="{reverse("registration:register")}"' in page
    assert 'data-testid="connection-bar"' not in page


@pytest.mark.django_db
def test_login_page_looks_like_the_portal(client):
    response = client.get(LOGIN)
    page = response.content.decode()
    assert response.status_code == 200
    assert "css/portal." in page
    assert 'name="login"' in page and 'name="password"' in page
    assert reverse("account_reset_password") in page
    assert reverse("registration:register") in page


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["username", "email"])
def test_login_by_username_or_email_shows_home(client, owner, by):
    response = log_in(client, getattr(owner, by))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert owner.account.name in page
    assert "Hello Owner" in page
    assert f'href="{reverse("operations:new")}"' in page and "New order" in page


@pytest.mark.django_db
def test_home_lists_only_sections_the_user_may_see(client, account, billing):
    client.force_login(billing)
    page = client.get(reverse("home")).content.decode()
    assert "Invoices and credit notes" in page and "New order" not in page
    from tests import factories

    # Without any right, only what every user reads is left: the documentation (AUTO-5).
    client.force_login(factories.make_user(account, "no-rights", rights=[]))
    page = client.get(reverse("home")).content.decode()
    assert reverse("documentation:index") in page
    assert "New order" not in page and "Invoices and credit notes" not in page


@pytest.mark.django_db
def test_wrong_password_and_unknown_user_get_the_same_message(client, owner):
    wrong = log_in(client, owner.username, "not-the-password-1")
    unknown = log_in(client, "nobody-here", "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert wrong.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert 'value="nobody-here"' in unknown.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "text"),
    [
        (Account.Status.PENDING, "awaiting validation"),
        (Account.Status.REJECTED, "not accepted"),
        (Account.Status.BLOCKED, "blocked"),
    ],
)
def test_users_of_an_inactive_account_cannot_log_in(client, owner, status, text):
    Account.objects.filter(pk=owner.account_id).update(status=status)
    response = log_in(client, owner.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert text in page
    assert client.get(reverse("home")).status_code == 302  # still anonymous: sent to login


@pytest.mark.django_db
def test_deactivated_user_is_told_so_only_with_the_right_password(client, tech):
    User.objects.filter(pk=tech.pk).update(is_active=False)
    wrong = log_in(client, tech.username, "not-the-password-1")
    assert wrong.status_code == 200 and "deactivated" not in wrong.content.decode()
    right = log_in(client, tech.username)
    assert "_auth_user_id" not in client.session
    assert "deactivated" in client.get(right["Location"]).content.decode()


@pytest.mark.django_db
def test_staff_without_account_lands_in_the_back_office(client, staff):
    response = log_in(client, staff.username)
    assert response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_previous_login_is_shown_from_the_second_login(client, owner):
    log_in(client, owner.username)
    owner.refresh_from_db()
    first_login = owner.last_login
    assert first_login is not None
    assert owner.previous_login is None
    assert "last login" not in client.get(reverse("home")).content.decode()

    client.post(reverse("account_logout"))
    log_in(client, owner.username)
    owner.refresh_from_db()
    assert owner.previous_login == first_login
    assert owner.last_login > first_login
    bar = client.get(reverse("home")).content.decode()
    assert '<span class="last-login">' in bar


@pytest.mark.django_db
def test_previous_login_takes_the_former_last_login_not_the_new_one(client, owner):
    """Django's own update_last_login must not run before our receiver reads last_login."""
    former = timezone.now() - timedelta(days=3)
    User.objects.filter(pk=owner.pk).update(last_login=former)
    client.force_login(User.objects.get(pk=owner.pk))
    owner.refresh_from_db()
    assert owner.previous_login == former
    assert owner.last_login > former + timedelta(days=2)


@pytest.mark.django_db
def test_logout(client, owner):
    client.force_login(owner)
    assert client.get(reverse("account_logout")).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_forgotten_password_flow(client, owner, post_on_commit, mailoutbox):
    response = post_on_commit(reverse("account_reset_password"), {"email": owner.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [owner.email]
    assert owner.username in message.body
    assert message.alternatives[0][1] == "text/html"

    page = client.get(reset_link(message), follow=True)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()
    done = client.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert log_in(client, owner.username, NEW_PASSWORD)["Location"] == reverse("home")


@pytest.mark.django_db
def test_password_rules_apply_when_choosing_a_password(client, owner, post_on_commit, mailoutbox):
    post_on_commit(reverse("account_reset_password"), {"email": owner.email})
    page = client.get(reset_link(mailoutbox[0]), follow=True)
    response = client.post(page.redirect_chain[-1][0], {"password1": "short1", "password2": "short1"})
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.django_db
def test_reset_email_is_rendered_in_the_users_language(owner, post_on_commit, mailoutbox):
    User.objects.filter(pk=owner.pk).update(language="fr")
    with mock.patch(
        "accounts.mail.render_email", wraps=__import__("accounts.mail").mail.render_email
    ) as render:
        post_on_commit(reverse("account_reset_password"), {"email": owner.email})
    render.assert_called_once()
    assert render.call_args.args[0] == "account_password_reset"
    assert render.call_args.args[2] == "fr"


@pytest.mark.django_db
def test_unknown_email_gets_the_same_answer_and_a_registration_link(client, post_on_commit, mailoutbox):
    response = post_on_commit(reverse("account_reset_password"), {"email": "stranger@nowhere.test"})
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    assert reverse("registration:register") in mailoutbox[0].body


@pytest.mark.django_db
def test_a_used_reset_link_is_refused(client, owner, post_on_commit, mailoutbox):
    post_on_commit(reverse("account_reset_password"), {"email": owner.email})
    link = reset_link(mailoutbox[0])
    page = client.get(link, follow=True)
    client.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    again = client.get(link, follow=True)
    assert "no longer valid" in again.content.decode()
