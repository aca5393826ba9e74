"""ACC-7: login by client certificate: the trust rules of the TLS terminator's headers, the login
itself (no password, audited "login.certificate"), each refusal, and the re-authentication of
certificate users for sensitive actions (ACC-9)."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.test import RequestFactory
from django.utils import timezone

from accounts.clientcert import services
from accounts.clientcert.trust import presented_certificate
from accounts.models import Account, AuditEvent, ClientCertificate
from tests.factories import PASSWORD
from tests.support import clientcert as support
from tests.support.clientcert import (
    PROXY,
    headers,
    issue,
    log_in_by_certificate,
    pem_of,
    self_signed,
    session_user_id,
    use_clientcert_settings,
)

# Shared fixtures (tests/support/clientcert.py).
cert_account, cert_admin, cert_owner, cert_tech = (
    support.cert_account,
    support.cert_admin,
    support.cert_owner,
    support.cert_tech,
)

LOGIN = "/accounts/certificate-login/"


@pytest.fixture(autouse=True)
def _settings(settings):
    use_clientcert_settings(settings)


@pytest.fixture
def issued(cert_admin, cert_tech):
    record, cert, _key = issue(cert_tech, by=cert_admin)
    return record, cert


def refusals(reason: str):
    return AuditEvent.objects.filter(
        action="login.failed", details__step="certificate", details__reason=reason
    )


# Header trust rules -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestHeaderTrust:
    def request(self, **meta):
        return RequestFactory().get("/", **meta)

    def test_a_verified_certificate_from_a_trusted_proxy_is_read(self, issued):
        _record, cert = issued
        assert presented_certificate(self.request(**headers(cert))) == cert

    def test_the_same_headers_from_any_other_address_do_not_exist(self, issued):
        _record, cert = issued
        assert presented_certificate(self.request(**headers(cert, address="10.9.9.10"))) is None
        assert presented_certificate(self.request(**headers(cert, address="not-an-ip"))) is None

    def test_nothing_is_trusted_without_configured_proxies(self, settings, issued):
        settings.TRUSTED_PROXIES = []
        assert presented_certificate(self.request(**headers(issued[1]))) is None

    def test_proxies_may_be_networks(self, settings, issued):
        settings.TRUSTED_PROXIES = ["192.0.2.0/24", "2001:db8::/32"]
        assert presented_certificate(self.request(**headers(issued[1], address="192.0.2.77"))) == issued[1]
        assert presented_certificate(self.request(**headers(issued[1], address="2001:db8::5"))) == issued[1]
        assert presented_certificate(self.request(**headers(issued[1], address="198.51.100.1"))) is None

    @pytest.mark.parametrize("verify", ["", "NONE", "FAILED:certificate has expired", "success"])
    def test_only_a_successful_verification_counts(self, issued, verify):
        assert presented_certificate(self.request(**headers(issued[1], verify=verify))) is None

    def test_a_pem_with_spaces_for_line_breaks_is_read_too(self, issued):
        flattened = pem_of(issued[1]).replace("\n", " ")
        meta = {**headers(None), "HTTP_X_SSL_CLIENT_CERT": flattened}
        assert presented_certificate(self.request(**meta)) == issued[1]

    def test_garbage_is_no_certificate(self, issued):
        meta = {
            **headers(None),
            "HTTP_X_SSL_CLIENT_CERT": quote("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"),
        }
        assert presented_certificate(self.request(**meta)) is None

    def test_the_header_names_are_settings(self, settings, issued):
        settings.CLIENT_CERT_HEADER = "HTTP_SSL_CLIENT_CERT"
        settings.CLIENT_CERT_VERIFY_HEADER = "HTTP_SSL_CLIENT_VERIFY"
        meta = {
            "REMOTE_ADDR": PROXY,
            "HTTP_SSL_CLIENT_CERT": quote(pem_of(issued[1])),
            "HTTP_SSL_CLIENT_VERIFY": "SUCCESS",
        }
        assert presented_certificate(self.request(**meta)) == issued[1]
        assert presented_certificate(self.request(**headers(issued[1]))) is None


# The login -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_certificate_logs_the_user_in_without_password(client, issued, cert_tech):
    record, cert = issued
    page = client.get(LOGIN, **headers(cert))
    assert page.status_code == 200 and cert_tech.username in page.content.decode()

    response = client.post(LOGIN, {"next": "/me/certificate/"}, **headers(cert))

    assert response.status_code == 302 and response["Location"] == "/me/certificate/"
    assert session_user_id(client) == str(cert_tech.pk)
    event = AuditEvent.objects.get(action="login.certificate")
    assert event.user == cert_tech and event.ip_address == PROXY
    assert event.details["fingerprint_sha256"] == record.fingerprint_sha256
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()
    # Logged in by certificate, the user reaches their pages (no "make your certificate first").
    assert client.get("/me/certificate/").status_code == 200
    assert client.get("/home/").status_code == 200


@pytest.mark.django_db
def test_login_page_offers_the_certificate_only_when_one_is_presented(client, issued):
    _record, cert = issued
    assert "Log in with my certificate" in client.get("/accounts/login/", **headers(cert)).content.decode()
    assert "Log in with my certificate" not in client.get("/accounts/login/").content.decode()
    untrusted = client.get("/accounts/login/", **headers(cert, address="203.0.113.5"))
    assert "Log in with my certificate" not in untrusted.content.decode()


@pytest.mark.django_db
def test_unsafe_next_is_ignored(client, issued):
    response = client.post(LOGIN, {"next": "https://evil.test/"}, **headers(issued[1]))
    assert response.status_code == 302 and "evil" not in response["Location"]


@pytest.mark.django_db
def test_no_certificate_is_refused(client, cert_tech):
    response = client.post(LOGIN, **headers(None))
    assert response.status_code == 403 and session_user_id(client) is None
    assert refusals("absent").count() == 1


@pytest.mark.django_db
def test_headers_from_an_untrusted_address_are_refused(client, issued):
    response = client.post(LOGIN, **headers(issued[1], address="203.0.113.5"))
    assert response.status_code == 403 and session_user_id(client) is None
    assert "No client certificate reached the portal" in response.content.decode()


@pytest.mark.django_db
def test_unknown_certificate_is_refused(client, cert_tech):
    response = client.post(LOGIN, **headers(self_signed("clerk")))
    assert response.status_code == 403 and session_user_id(client) is None
    assert "not a login certificate" in response.content.decode()
    event = refusals("unknown").get()
    assert event.actor_name == "clerk" and event.user is None


@pytest.mark.django_db
def test_a_failed_verification_is_explained(client):
    response = client.get(LOGIN, **headers(None, verify="FAILED:unable to verify the first certificate"))
    assert response.status_code == 403 and "unable to verify" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state, reason, text",
    [
        (ClientCertificate.State.REVOKED, "revoked", "revoked"),
        (ClientCertificate.State.SUSPENDED, "suspended", "suspended"),
    ],
)
def test_revoked_or_suspended_certificate_is_refused(client, issued, cert_tech, state, reason, text):
    record, cert = issued
    ClientCertificate.objects.filter(pk=record.pk).update(state=state)
    response = client.post(LOGIN, **headers(cert))
    assert response.status_code == 403 and session_user_id(client) is None
    assert text in response.content.decode()
    assert refusals(reason).get().user == cert_tech


@pytest.mark.django_db
def test_expired_certificate_is_refused(client, issued):
    record, cert = issued
    ClientCertificate.objects.filter(pk=record.pk).update(not_after=timezone.now() - timedelta(minutes=1))
    assert client.post(LOGIN, **headers(cert)).status_code == 403
    assert session_user_id(client) is None and refusals("expired").exists()


@pytest.mark.django_db
def test_user_of_an_account_of_another_login_type_is_refused(client, issued, cert_account):
    cert_account.auth_type = Account.AuthType.PASSWORD
    cert_account.save()
    assert client.post(LOGIN, **headers(issued[1])).status_code == 403
    assert session_user_id(client) is None and refusals("auth_type").exists()


@pytest.mark.django_db
def test_blocked_user_is_refused(client, issued, cert_tech):
    cert_tech.is_active = False
    cert_tech.save()
    assert client.post(LOGIN, **headers(issued[1])).status_code == 403
    assert session_user_id(client) is None and refusals("blocked").exists()


@pytest.mark.django_db
def test_user_of_a_blocked_account_is_refused(client, issued, cert_account):
    cert_account.status = Account.Status.BLOCKED
    cert_account.save()
    response = client.post(LOGIN, **headers(issued[1]), follow=True)
    assert session_user_id(client) is None
    assert "blocked" in response.content.decode()


@pytest.mark.django_db
def test_password_no_longer_opens_a_certificate_user(client, issued, cert_tech, settings):
    cert_tech.set_password(PASSWORD)  # e.g. a password reset by email after the certificate
    cert_tech.save()
    response = client.post(
        "/accounts/login/", {"login": cert_tech.username, "password": PASSWORD}, follow=True
    )
    assert session_user_id(client) is None
    assert "logs in with your client certificate" in response.content.decode()


@pytest.mark.django_db
def test_certificate_of_another_user_cannot_confirm_my_session(client, cert_admin, cert_tech, issued):
    _record, other_cert, _key = issue(cert_admin, by=cert_admin)
    log_in_by_certificate(client, cert_tech, seconds_ago=3600)
    response = client.post("/accounts/certificate-reauthenticate/", **headers(other_cert))
    assert response.status_code == 403 and "not yours" in response.content.decode()
    assert refusals("other_user").get().user == cert_tech


# Re-authentication of certificate users (ACC-9, STYLE.md 10) --------------------------------------


@pytest.mark.django_db
def test_sensitive_action_asks_the_certificate_again_then_is_replayed(client, cert_admin, cert_tech):
    admin_record, admin_cert, _key = issue(cert_admin, by=cert_admin)
    issue(cert_tech, by=cert_admin)
    log_in_by_certificate(client, cert_admin, seconds_ago=3600)
    action = f"/administration/users/{cert_tech.public_id}/certificate/suspend/"

    first = client.post(action)
    assert first.status_code == 302
    assert first["Location"] == f"/accounts/certificate-reauthenticate/?next={quote(action, safe='')}"
    assert not ClientCertificate.objects.filter(user=cert_tech, state="suspended").exists()

    page = client.get(first["Location"], **headers(admin_cert))
    assert page.status_code == 200
    replayed = client.post(first["Location"], **headers(admin_cert))
    assert replayed.status_code == 302
    assert ClientCertificate.objects.filter(user=cert_tech, state="suspended").exists()


@pytest.mark.django_db
def test_recent_certificate_login_needs_no_confirmation(client, cert_admin, cert_tech):
    issue(cert_admin, by=cert_admin)
    issue(cert_tech, by=cert_admin)
    log_in_by_certificate(client, cert_admin)
    response = client.post(f"/administration/users/{cert_tech.public_id}/certificate/suspend/")
    assert response.status_code == 302 and "reauthenticate" not in response["Location"]
    assert ClientCertificate.objects.filter(user=cert_tech, state="suspended").exists()


@pytest.mark.django_db
def test_a_password_record_does_not_stand_for_the_certificate(client, cert_admin, cert_tech):
    issue(cert_admin, by=cert_admin)
    issue(cert_tech, by=cert_admin)
    log_in_by_certificate(client, cert_admin, seconds_ago=3600)
    session = client.session  # plus a fresh password confirmation, however it got there
    session[AUTHENTICATION_METHODS_SESSION_KEY].append(
        {"method": "password", "at": time.time(), "reauthenticated": True}
    )
    session.save()
    response = client.post(f"/administration/users/{cert_tech.public_id}/certificate/suspend/")
    assert response.status_code == 302 and "certificate-reauthenticate" in response["Location"]
    from allauth.account.adapter import get_adapter

    cert_admin.set_password(PASSWORD)
    cert_admin.save()
    assert get_adapter().reauthenticate(cert_admin, PASSWORD) is False


@pytest.mark.django_db
def test_password_users_keep_their_password_reauthentication(client, account, owner, tech):
    """The certificate rules leave the other accounts alone."""
    assert services.certificate_required(owner) is False
    response = client.post("/accounts/login/", {"login": owner.username, "password": PASSWORD})
    assert response.status_code == 302 and session_user_id(client) == str(owner.pk)
    assert client.get("/home/").status_code == 200
