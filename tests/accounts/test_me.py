"""ACC-8: the user menu under /me/: own contact details, email, personal data (see, correct, export,
processing purposes)."""

from __future__ import annotations

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.audit import log_action
from accounts.models import AuditEvent, User
from tests.support.routes import (
    concrete,
    is_reauth_redirect,
    log_in,
    log_in_long_ago,
    routes,
    use_route_settings,
)

PROFILE = "/me/"
EMAIL = "/me/email/"
DATA = "/me/personal-data/"
PURPOSES = "/me/personal-data/purposes/"
EXPORT = "/me/personal-data/export.json"


@pytest.fixture(autouse=True)
def _route_settings(settings):
    use_route_settings(settings)


def profile_data(**overrides):
    data = {"first_name": "Bill", "last_name": "Payer", "phone": "+33 6 12 34 56 78", "language": "fr"}
    data.update(overrides)
    return data


# Who may come ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_staff_refused(client, staff):
    # The profile and personal data pages (other /me/ pages belong to 2FA and login certificates).
    found = [(route, p) for route, p in routes("me/") if p.callback.__module__.startswith("accounts.me.")]
    assert len(found) == 5
    for route, pattern in found:
        assert pattern.callback.required_rights == (), route
        response = client.get(concrete(route))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), route
    client.force_login(staff)
    for route, _pattern in found:
        assert client.get(concrete(route)).status_code == 403, route


# Profile -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_edits_their_own_contact_details(client, billing):
    log_in(client, billing)
    page = client.get(PROFILE).content.decode()
    assert billing.username in page and billing.email in page
    assert 'href="/accounts/password/change/"' in page and f'href="{EMAIL}"' in page
    response = client.post(PROFILE, profile_data())
    assert response.status_code == 302
    billing.refresh_from_db()
    assert (billing.first_name, billing.last_name, billing.phone, billing.language) == (
        "Bill",
        "Payer",
        "+33 6 12 34 56 78",
        "fr",
    )
    event = AuditEvent.objects.get(action="user.profile_changed")
    assert event.user == billing and sorted(event.details["fields"]) == [
        "first_name",
        "language",
        "last_name",
        "phone",
    ]


@pytest.mark.django_db
def test_profile_refuses_bad_input_and_keeps_it(client, billing):
    log_in(client, billing)
    response = client.post(PROFILE, profile_data(phone="call me", last_name=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert "Enter a phone number" in " ".join(form.errors["phone"])
    assert form.errors["last_name"]
    assert 'value="call me"' in response.content.decode()
    billing.refresh_from_db()
    assert billing.first_name == "Billing"


@pytest.mark.django_db
def test_profile_cannot_change_username_or_rights(client, billing):
    log_in(client, billing)
    client.post(PROFILE, profile_data(username="boss", right_administrative="on", is_account_superuser="on"))
    billing.refresh_from_db()
    assert billing.username.startswith("billing-") and not billing.right_administrative
    assert not billing.is_account_superuser


# Email -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_change_needs_a_recent_authentication(client, billing):
    log_in_long_ago(client, billing)
    assert is_reauth_redirect(client.get(EMAIL), EMAIL)
    response = client.post(EMAIL, {"email": "new@acme.test"})
    assert is_reauth_redirect(response, EMAIL)
    billing.refresh_from_db()
    assert billing.email != "new@acme.test"


@pytest.mark.django_db
def test_email_change_tells_the_former_address(
    client, billing, mailoutbox, django_capture_on_commit_callbacks
):
    former = billing.email
    EmailAddress.objects.create(user=billing, email=former, primary=True, verified=True)
    log_in(client, billing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EMAIL, {"email": "new@acme.test"})
    assert response.status_code == 302 and response["Location"] == PROFILE
    billing.refresh_from_db()
    assert billing.email == "new@acme.test"
    # The former address no longer opens the account nor receives reset links.
    assert not EmailAddress.objects.filter(user=billing, email=former).exists()
    assert [m.to for m in mailoutbox] == [[former]]
    assert "new@acme.test" in mailoutbox[0].body
    event = AuditEvent.objects.get(action="user.email_changed")
    assert event.details == {"former": former, "new": "new@acme.test"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "text"),
    [
        ("not-an-email", "valid email"),
        ("{tech}", "Another user already has this email."),
        ("{own}", "already is your email"),
    ],
)
def test_email_change_refuses_bad_or_taken_addresses(client, billing, tech, email, text):
    email = email.format(tech=tech.email.upper(), own=billing.email)
    log_in(client, billing)
    response = client.post(EMAIL, {"email": email})
    assert response.status_code == 200
    assert text in " ".join(response.context["form"].errors["email"])


# Personal data -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_personal_data_page_shows_every_stored_field(client, billing):
    User.objects.filter(pk=billing.pk).update(phone="+33 6 00 00 00 01", processing_purposes=["newsletters"])
    log_in(client, billing)
    response = client.get(DATA)
    page = response.content.decode()
    for text in (
        billing.username,
        billing.email,
        "+33 6 00 00 00 01",
        "Consecutive failed logins",
        "Password changed",
        "Previous login",
        billing.account.name,
        "Billing",
    ):
        assert text in page, text
    assert f'action="{PURPOSES}"' in page and f'href="{EXPORT}"' in page
    assert response.context["purposes_form"].initial == {"purposes": ["newsletters"]}
    assert re.search(r'<input[^>]*value="newsletters"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="product_news"[^>]*checked', page)


@pytest.mark.django_db
def test_user_chooses_processing_purposes(client, billing):
    log_in(client, billing)
    response = client.post(PURPOSES, {"purposes": ["satisfaction_surveys", "newsletters"]})
    assert response.status_code == 302 and response["Location"] == DATA
    billing.refresh_from_db()
    assert billing.processing_purposes == ["newsletters", "satisfaction_surveys"]
    client.post(PURPOSES, {})
    billing.refresh_from_db()
    assert billing.processing_purposes == []
    events = AuditEvent.objects.filter(action="user.purposes_changed").order_by("created_at", "id")
    assert [e.details["after"] for e in events] == [["newsletters", "satisfaction_surveys"], []]


@pytest.mark.django_db
def test_unknown_purpose_is_refused(client, billing):
    log_in(client, billing)
    response = client.post(PURPOSES, {"purposes": ["selling_my_data"]})
    assert response.status_code == 200
    assert response.context["purposes_form"].errors["purposes"]
    billing.refresh_from_db()
    assert billing.processing_purposes == []


@pytest.mark.django_db
def test_export_contains_the_users_data_and_nothing_of_others(client, billing, owner, tech, outsider):
    log_in(client, billing)
    User.objects.filter(pk=billing.pk).update(
        processing_purposes=["product_news"], previous_login=timezone.now()
    )
    log_action("invoice.viewed", account=billing.account, user=billing)
    log_action(
        "user.rights_changed", account=owner.account, user=owner, obj=billing, before=[], after=["billing"]
    )
    log_action("order.submitted", account=tech.account, user=tech, customer=tech.username)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    data = json.loads(response.content)
    assert data["user"]["username"] == billing.username and data["user"]["email"] == billing.email
    assert data["user"]["first_name"] == "Billing" and data["user"]["previous_login"]
    assert data["account"] == {"name": billing.account.name, "rights": ["billing"]}
    assert data["processing_purposes"] == ["product_news"]
    assert [a["action"] for a in data["activity"]] == ["invoice.viewed"]
    text = response.content.decode()
    for other in (owner, tech, outsider):
        assert other.username not in text and other.email not in text
    assert "Owner" not in text and "Tech" not in text
    assert "password" not in data["user"]
