"""ACC-7 panic button: the user blocks their own access and revokes their certificate at once (after a
confirmation), every session of theirs ends, and only an administrator reactivates them, which
issues a new certificate."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from accounts.clientcert import services
from accounts.models import AuditEvent, ClientCertificate
from tests.support import clientcert as support
from tests.support.clientcert import (
    headers,
    issue,
    log_in_by_certificate,
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

PANIC = "/me/certificate/panic/"


@pytest.fixture(autouse=True)
def _settings(settings):
    use_clientcert_settings(settings)


@pytest.fixture
def issued(cert_admin, cert_tech):
    record, cert, _key = issue(cert_tech, by=cert_admin)
    return record, cert


@pytest.mark.django_db
def test_my_page_offers_the_panic_button(client, issued, cert_tech):
    log_in_by_certificate(client, cert_tech)
    page = client.get("/me/certificate/").content.decode()
    assert issued[0].serial in page and f'href="{PANIC}"' in page
    confirm = client.get(PANIC)
    assert (
        confirm.status_code == 200 and "Block my access and revoke my certificate" in confirm.content.decode()
    )
    assert ClientCertificate.objects.get(pk=issued[0].pk).state == "active"  # GET changes nothing


@pytest.mark.django_db
def test_panic_revokes_blocks_and_ends_every_session(client, issued, cert_tech):
    record, cert = issued
    log_in_by_certificate(client, cert_tech)
    elsewhere = log_in_by_certificate(Client(), cert_tech)

    response = client.post(PANIC, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Only an administrator" in response.content.decode()
    assert session_user_id(client) is None
    assert elsewhere.get("/me/certificate/").status_code == 302
    record.refresh_from_db()
    cert_tech.refresh_from_db()
    assert record.state == "revoked" and record.reason == "panic" and record.revoked_at is not None
    assert not cert_tech.is_active
    event = AuditEvent.objects.get(action="clientcert.panic")
    assert event.user == cert_tech and event.details["revoked"] == [record.serial]
    # The certificate opens nothing any more.
    assert Client().post("/accounts/certificate-login/", **headers(cert)).status_code == 403


@pytest.mark.django_db
def test_panic_kills_pending_enrolment_links(client, issued, cert_admin, cert_tech):
    _enrolment, url = services.create_enrolment(cert_tech, by=cert_admin)
    log_in_by_certificate(client, cert_tech)
    client.post(PANIC)
    assert Client().get(urlsplit(url).path).status_code == 404


@pytest.mark.django_db
def test_after_panic_the_user_cannot_reactivate_themself(client, issued, cert_tech):
    log_in_by_certificate(client, cert_tech)
    client.post(PANIC)
    assert services.may_self_enrol(cert_tech) is False
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "me")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    with pytest.raises(services.CertificateRequestError):
        services.issue_from_csr(cert_tech, csr, by=cert_tech)
    # Not logged in any more, the user cannot post it either.
    response = client.post(
        "/me/certificate/enrol/", json.dumps({"csr": csr}), content_type="application/json"
    )
    assert response.status_code == 302
    assert not ClientCertificate.objects.filter(user=cert_tech, state="active").exists()


@pytest.mark.django_db
def test_an_administrator_reactivates_with_a_new_certificate(client, issued, cert_admin, cert_tech):
    log_in_by_certificate(client, cert_tech)
    client.post(PANIC)
    new, cert, _key = issue(cert_tech, by=cert_admin)
    cert_tech.refresh_from_db()
    assert cert_tech.is_active and new.state == "active" and new.pk != issued[0].pk
    login = Client().post("/accounts/certificate-login/", **headers(cert))
    assert login.status_code == 302
    assert Client().post("/accounts/certificate-login/", **headers(issued[1])).status_code == 403


@pytest.mark.django_db
def test_panic_is_idempotent(issued, cert_tech):
    assert services.panic(cert_tech) is True
    assert services.panic(cert_tech) is False
    assert AuditEvent.objects.filter(action="clientcert.panic").count() == 1


@pytest.mark.django_db
def test_panic_is_refused_to_password_accounts_and_anonymous(client, tech):
    response = client.post(PANIC)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(tech)
    assert client.post(PANIC).status_code == 404
    tech.refresh_from_db()
    assert tech.is_active
