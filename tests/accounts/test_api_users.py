"""ADM-4: API users and their tokens (super user only), bearer authentication of GET /api/v1/me."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response

from accounts.api.views import AccountAPIView
from accounts.models import Account, ApiToken, AuditEvent, Organisation, Right, User
from tests import factories
from tests.support.routes import is_reauth_redirect, log_in, log_in_long_ago, use_route_settings

API_USERS = "/administration/api-users/"
ME = "/api/v1/me"


@pytest.fixture(autouse=True)
def _route_settings(settings):
    use_route_settings(settings)


@pytest.fixture
def admin(account):
    return factories.make_user(account, "admin", rights=[Right.ADMINISTRATIVE])


def create_api_user(client, name="Billing export", rights=(Right.COMMERCIAL,)) -> tuple[User, str]:
    """Through the pages, as the super user: the token is read on the page shown once."""
    response = client.post(f"{API_USERS}add/", {"name": name, "rights": [r.value for r in rights]})
    assert response.status_code == 302 and response["Location"] == f"{API_USERS}new-token/"
    page = client.get(response["Location"])
    token = page.context["shown"]["token"]
    return User.objects.get(is_api_user=True, first_name=name), token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# The super user's pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_super_user_creates_an_api_user_whose_token_is_shown_once_and_stored_hashed(client, owner):
    log_in(client, owner)
    response = client.post(
        f"{API_USERS}add/", {"name": "Billing export", "rights": ["commercial", "billing"]}
    )
    first = client.get(response["Location"])
    token = first.context["shown"]["token"]
    assert token in first.content.decode()
    assert "no-store" in first["Cache-Control"]
    again = client.get(response["Location"], follow=True)
    assert token not in again.content.decode()
    assert "shown only once" in again.content.decode()

    api_user = User.objects.get(is_api_user=True)
    assert api_user.account == owner.account and not api_user.has_usable_password()
    assert api_user.rights == [Right.COMMERCIAL, Right.BILLING]
    stored = ApiToken.objects.get(user=api_user)
    assert (
        token.startswith(stored.prefix + "_")
        and stored.prefix.startswith("cpk_")
        and len(stored.prefix) == 12
    )
    assert stored.key_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert stored.created_by == owner
    secret_part = token[len(stored.prefix) + 1 :]
    assert len(secret_part) >= 43
    for event in AuditEvent.objects.all():
        assert secret_part not in str(event.details)
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "api_user.created",
        "api_token.created",
    }

    listing = client.get(API_USERS).content.decode()
    assert stored.prefix in listing and secret_part not in listing


@pytest.mark.django_db
def test_administrator_who_is_not_super_user_sees_but_cannot_manage(client, admin, owner):
    log_in(client, owner)
    api_user, _token = create_api_user(client)
    token = api_user.api_tokens.get()
    log_in(client, admin)
    listing = client.get(API_USERS)
    assert listing.status_code == 200 and api_user.first_name in listing.content.decode()
    assert "Revoke" not in listing.content.decode() and f"{API_USERS}add/" not in listing.content.decode()
    for target in (
        f"{API_USERS}add/",
        f"{API_USERS}{api_user.public_id}/tokens/new/",
        f"{API_USERS}{api_user.public_id}/tokens/{token.prefix}/revoke/",
        f"{API_USERS}new-token/",
    ):
        assert client.get(target).status_code == 403, target
        assert client.post(target, {"name": "x"}).status_code == 403, target
    assert User.objects.filter(is_api_user=True).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_tech_cannot_even_see_api_users(client, tech):
    log_in(client, tech)
    assert client.get(API_USERS).status_code == 403


@pytest.mark.django_db
def test_creating_an_api_user_needs_a_recent_authentication(client, owner):
    log_in_long_ago(client, owner)
    assert is_reauth_redirect(client.get(f"{API_USERS}add/"), f"{API_USERS}add/")
    response = client.post(f"{API_USERS}add/", {"name": "Sneaky"})
    assert is_reauth_redirect(response, f"{API_USERS}add/")
    assert not User.objects.filter(is_api_user=True).exists()


@pytest.mark.django_db
def test_other_accounts_api_user_is_not_found(client, owner, outsider):
    other = Client()
    log_in(other, outsider)
    foreign, _token = create_api_user(other)
    prefix = foreign.api_tokens.get().prefix
    log_in(client, owner)
    assert client.get(f"{API_USERS}{foreign.public_id}/tokens/new/").status_code == 404
    assert client.post(f"{API_USERS}{foreign.public_id}/tokens/{prefix}/revoke/").status_code == 404
    assert foreign.first_name not in client.get(API_USERS).content.decode()
    assert foreign.api_tokens.get().revoked_at is None


@pytest.mark.django_db
def test_bad_name_is_refused_next_to_the_field(client, owner):
    log_in(client, owner)
    response = client.post(f"{API_USERS}add/", {"name": "", "rights": ["technical"]})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert not User.objects.filter(is_api_user=True).exists()


# The API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_me_answers_with_the_api_users_identity(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client, rights=(Right.COMMERCIAL, Right.TECHNICAL))
    api = Client()
    response = api.get(ME, **bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "username": api_user.username,
        "account": owner.account.name,
        "rights": ["technical", "commercial"],
    }
    assert ApiToken.objects.get(user=api_user).last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cpk_00000000_unknown", "Token abc", "Bearer a b"])
def test_missing_or_unknown_tokens_get_401(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(ME, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_revoked_token_gets_401_and_other_tokens_keep_working(client, owner):
    log_in(client, owner)
    api_user, first = create_api_user(client)
    assert 'name="name"' in client.get(f"{API_USERS}{api_user.public_id}/tokens/new/").content.decode()
    response = client.post(f"{API_USERS}{api_user.public_id}/tokens/new/", {"name": "CI runner"})
    second = client.get(response["Location"]).context["shown"]["token"]
    first_token = ApiToken.objects.get(user=api_user, name="Billing export")
    assert (
        client.get(f"{API_USERS}{api_user.public_id}/tokens/{first_token.prefix}/revoke/").status_code == 200
    )
    client.post(f"{API_USERS}{api_user.public_id}/tokens/{first_token.prefix}/revoke/")
    first_token.refresh_from_db()
    assert first_token.revoked_at is not None
    api = Client()
    assert api.get(ME, **bearer(first)).status_code == 401
    assert api.get(ME, **bearer(second)).status_code == 200
    assert (
        AuditEvent.objects.filter(action="api_token.revoked", details__prefix=first_token.prefix).count() == 1
    )


@pytest.mark.django_db
def test_suspended_api_user_or_inactive_account_gets_401(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client)
    api = Client()
    User.objects.filter(pk=api_user.pk).update(is_active=False)
    assert api.get(ME, **bearer(token)).status_code == 401
    User.objects.filter(pk=api_user.pk).update(is_active=True)
    Account.objects.filter(pk=owner.account_id).update(status=Account.Status.BLOCKED)
    assert api.get(ME, **bearer(token)).status_code == 401


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client)
    api = Client()
    recent = timezone.now() - timedelta(seconds=30)
    # Same address as the test client's, so only the minute rule decides (issue 13.8).
    ApiToken.objects.filter(user=api_user).update(last_used_at=recent, last_used_ip="127.0.0.1")
    api.get(ME, **bearer(token))
    assert ApiToken.objects.get(user=api_user).last_used_at == recent
    old = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(user=api_user).update(last_used_at=old)
    api.get(ME, **bearer(token))
    assert ApiToken.objects.get(user=api_user).last_used_at > old + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_web_session_does_not_open_the_api(client, owner):
    log_in(client, owner)
    assert client.get(ME).status_code == 401


@pytest.mark.django_db
def test_api_user_cannot_log_into_the_web_pages(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client)
    web = Client()
    for password in (token, "", "whatever-password-1"):
        web.post("/accounts/login/", {"login": api_user.username, "password": password})
        assert "_auth_user_id" not in web.session


# Tenant scope of the API -------------------------------------------------------------------------


class OrganisationNames(AccountAPIView):
    """A test endpoint reading a scoped model: only the token's account may answer."""

    required_rights = (Right.COMMERCIAL,)

    def get(self, request):
        return Response(sorted(Organisation.objects.values_list("name", flat=True)))


def __getattr__(name):
    """This module's urlconf, built on first use: importing the API urls at collection time would
    import drf-spectacular's views before the test settings name its schema class."""
    if name == "urlpatterns":
        from tests.support import urls_routes

        return [path("test-organisations", OrganisationNames.as_view()), *urls_routes.urlpatterns]
    raise AttributeError(name)


@pytest.mark.django_db
def test_api_views_run_in_the_tokens_account_scope(owner, outsider, settings):
    """The tests run with scopes disabled: without the view's own scope every account would show."""
    from accounts.administration.services import create_api_user as create

    settings.ROOT_URLCONF = __name__
    _user, _token, raw = create(owner.account, name="Reader", rights=[Right.COMMERCIAL], by=owner)
    web_of_other_account = Client()
    web_of_other_account.force_login(outsider)  # a session of another account changes nothing
    response = web_of_other_account.get("/test-organisations", **bearer(raw))
    assert response.status_code == 200
    assert response.json() == [owner.account.name]


@pytest.mark.django_db
def test_api_views_check_their_rights(owner, settings):
    from accounts.administration.services import create_api_user as create

    settings.ROOT_URLCONF = __name__
    _user, _token, raw = create(owner.account, name="Tech bot", rights=[Right.TECHNICAL], by=owner)
    assert Client().get("/test-organisations", **bearer(raw)).status_code == 403


@pytest.mark.django_db
def test_only_api_users_authenticate_even_with_a_token_row(owner, tech):
    """A token attached to a person (not an API user) is refused: people use the web pages."""
    from accounts.api.tokens import generate_token

    new = generate_token()
    ApiToken.objects.create(
        account=owner.account, user=tech, name="wrong", prefix=new.prefix, key_sha256=new.sha256
    )
    assert Client().get(ME, **bearer(new.raw)).status_code == 401


@pytest.mark.django_db
def test_openapi_schema_describes_me_and_the_bearer_scheme(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/me" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API user's token, shown once when created (Administration › API users).",
    }


@pytest.mark.django_db
def test_api_users_list_runs_a_constant_number_of_queries(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.administration.services import create_api_token
    from accounts.administration.services import create_api_user as create

    create(owner.account, name="First", rights=[], by=owner)
    log_in(client, owner)
    client.get(API_USERS)
    with CaptureQueriesContext(connection) as few:
        client.get(API_USERS)
    for i in range(6):
        api_user, _token, _raw = create(owner.account, name=f"Bot {i}", rights=[Right.TECHNICAL], by=owner)
        create_api_token(api_user, name="second", by=owner)
    with CaptureQueriesContext(connection) as many:
        page = client.get(API_USERS).content.decode()
    assert page.count("second") == 6
    assert len(many) == len(few)


# Issue 13.8: expiry date, last-used address, expired token as an RFC 9457 problem -------------------


@pytest.mark.django_db
def test_token_expiry_is_set_at_creation_and_must_be_in_the_future(client, owner):
    log_in(client, owner)
    api_user, _token = create_api_user(client)
    url = f"{API_USERS}{api_user.public_id}/tokens/new/"
    today = timezone.localdate()
    for bad in (today, today - timedelta(days=1), "not-a-date"):
        response = client.post(url, {"name": "CI", "expires_on": str(bad)})
        assert response.status_code == 200
        assert "expires_on" in response.context["form"].errors
    assert ApiToken.objects.filter(user=api_user).count() == 1
    later = today + timedelta(days=30)
    response = client.post(url, {"name": "CI", "expires_on": later.isoformat()})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=api_user, name="CI")
    assert timezone.localtime(token.expires_at).date() == later
    assert ApiToken.objects.get(user=api_user, name="Billing export").expires_at is None


@pytest.mark.django_db
def test_api_user_first_token_can_expire_too(client, owner):
    log_in(client, owner)
    later = timezone.localdate() + timedelta(days=2)
    response = client.post(
        f"{API_USERS}add/",
        {"name": "Nightly", "rights": [Right.COMMERCIAL.value], "expires_on": later.isoformat()},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(user__first_name="Nightly").expires_at is not None


@pytest.mark.django_db
def test_expired_token_gets_401_with_a_problem_document(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client)
    api = Client()
    assert api.get(ME, **bearer(token)).status_code == 200
    ApiToken.objects.filter(user=api_user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get(ME, **bearer(token))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"].startswith("tag:")
    assert problem["title"] and "expired" in problem["detail"]
    # An unknown token stays a plain 401, without saying whether it ever existed.
    other = api.get(ME, **bearer("cpk_00000000_unknown"))
    assert other.status_code == 401 and "expired" not in other.content.decode()


@pytest.mark.django_db
def test_last_used_date_and_address_are_recorded_and_shown(client, owner):
    log_in(client, owner)
    api_user, token = create_api_user(client)
    Client(REMOTE_ADDR="203.0.113.7").get(ME, **bearer(token))
    stored = ApiToken.objects.get(user=api_user)
    assert stored.last_used_at is not None and stored.last_used_ip == "203.0.113.7"
    # A new address is recorded at once, even within the minute.
    Client(REMOTE_ADDR="2001:db8::1").get(ME, **bearer(token))
    assert ApiToken.objects.get(user=api_user).last_used_ip == "2001:db8::1"
    page = client.get(API_USERS).content.decode()
    assert "2001:db8::1" in page


@pytest.mark.django_db
def test_expired_tokens_are_marked_on_the_api_users_page(client, owner):
    log_in(client, owner)
    api_user, _token = create_api_user(client)
    ApiToken.objects.filter(user=api_user).update(expires_at=timezone.now() - timedelta(days=1))
    assert "expired" in client.get(API_USERS).content.decode()
