"""ACC-7 / ADM-3: issuing login certificates: the Portal login CA, the PKCS#12 file made for the user,
the key made in the user's browser (a CSR through an enrolment link, or for their first certificate)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils import timezone

from accounts.clientcert import ca, services
from accounts.models import AuditEvent, CertificateEnrolment, ClientCertificate, LoginCA
from tests import factories
from tests.factories import PASSWORD
from tests.support import clientcert as support
from tests.support.clientcert import (
    P12_PASSWORD,
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

State = ClientCertificate.State


@pytest.fixture(autouse=True)
def _settings(settings):
    use_clientcert_settings(settings)


def csr_for(key, common_name="anything") -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def verify_chain(cert: x509.Certificate) -> None:
    """The certificate chains to the login root through the issuing CA (signatures and names)."""
    issuing, root = ca.chain()
    cert.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)


# The login CA ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_ca_is_made_once_with_encrypted_p384_keys():
    root, issuing = ca.authorities()
    assert ca.authorities() == (root, issuing)
    assert LoginCA.objects.count() == 2
    for authority in (root, issuing):
        assert "ENCRYPTED PRIVATE KEY" in authority.encrypted_key_pem
        with pytest.raises((TypeError, ValueError)):
            serialization.load_pem_private_key(authority.encrypted_key_pem.encode(), None)
        key = serialization.load_pem_private_key(
            authority.encrypted_key_pem.encode(), settings.CA_KEY_PASSPHRASE.encode()
        )
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"
    issuing_cert = ca.certificate_of(issuing)
    assert issuing_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    assert ca.chain_pem() == issuing.certificate_pem + root.certificate_pem
    assert AuditEvent.objects.filter(action="clientcert.ca_created").count() == 2


# PKCS#12 -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pkcs12_opens_with_its_password_and_holds_the_users_certificate(cert_admin, cert_tech):
    record, data = services.issue_pkcs12(cert_tech, P12_PASSWORD, by=cert_admin)

    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"not-the-password-at-all")
    key, cert, extra = pkcs12.load_key_and_certificates(data, P12_PASSWORD.encode())
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert [c.subject for c in extra] == [ca.chain()[0].subject]
    verify_chain(cert)

    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cert_tech.username
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == cert_tech.public_id
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [cert_tech.email]
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False

    assert record.user == cert_tech and record.state == State.ACTIVE and record.method == "pkcs12"
    assert record.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert record.serial == f"{cert.serial_number:x}"
    assert record.not_after - record.not_before >= timedelta(days=364)
    assert "PRIVATE KEY" not in record.pem  # the key is kept nowhere
    cert_tech.refresh_from_db()
    assert not cert_tech.has_usable_password()  # ACC-7: the certificate replaces the password
    event = AuditEvent.objects.get(action="clientcert.issued")
    assert event.user == cert_admin and event.details["serial"] == record.serial


@pytest.mark.django_db
def test_a_new_certificate_supersedes_the_old_one_and_reactivates_a_blocked_user(cert_admin, cert_tech):
    first, _cert, _key = issue(cert_tech, by=cert_admin)
    services.revoke_and_block(cert_tech, by=cert_admin)
    assert not cert_tech.is_active

    second, _cert, _key = issue(cert_tech, by=cert_admin)

    first.refresh_from_db()
    cert_tech.refresh_from_db()
    assert first.state == State.REVOKED and first.reason == "revoked_by_administrator"
    assert second.state == State.ACTIVE and cert_tech.is_active
    assert AuditEvent.objects.filter(action="clientcert.reactivated", object_id=cert_tech.public_id).exists()
    third, _cert, _key = issue(cert_tech, by=cert_admin)
    second.refresh_from_db()
    assert second.state == State.REVOKED and second.reason == "superseded" and third.state == State.ACTIVE


@pytest.mark.django_db
def test_short_pkcs12_password_is_refused(cert_admin, cert_tech):
    with pytest.raises(ValueError):
        services.issue_pkcs12(cert_tech, "short", by=cert_admin)
    assert not ClientCertificate.objects.exists()


# Key made in the browser: the CSR ----------------------------------------------------------------


@pytest.mark.django_db
def test_csr_gets_a_certificate_for_its_key_with_the_users_names(cert_admin, cert_tech):
    key = ec.generate_private_key(ec.SECP256R1())
    enrolment, _url = services.create_enrolment(cert_tech, by=cert_admin)
    record = services.issue_from_csr(cert_tech, csr_for(key, "someone-else"), by=None, enrolment=enrolment)
    cert = x509.load_pem_x509_certificate(record.pem.encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cert_tech.username
    assert record.method == "browser"
    verify_chain(cert)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "csr, text",
    [
        ("not a csr", "This is not a certificate request"),
        ("rsa1024", "at least 2048 bits"),
        ("p192", "P-256 or P-384"),
    ],
)
def test_bad_csrs_are_refused_with_a_reason(cert_owner, csr, text):
    if csr in ("rsa1024", "p192"):
        csr = csr_for(factories.make_key(csr))
    with pytest.raises(services.CertificateRequestError, match=text):
        services.issue_from_csr(cert_owner, csr, by=cert_owner)
    assert not ClientCertificate.objects.exists()


# The enrolment link (ADM-3) -----------------------------------------------------------------------


@pytest.mark.django_db
def test_enrolment_link_is_emailed_stored_hashed_and_serves_once(
    client, cert_admin, cert_tech, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrolment, url = services.create_enrolment(cert_tech, by=cert_admin)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert enrolment.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CertificateEnrolment.objects.values_list().get())
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [cert_tech.email] and url in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="clientcert.enrolment_created").exists()

    page = client.get(f"/accounts/certificate-enrol/{token}/")
    assert page.status_code == 200
    assert b"data-clientcert" in page.content and b"js/clientcert.bundle." in page.content

    key = ec.generate_private_key(ec.SECP384R1())
    answer = client.post(
        f"/accounts/certificate-enrol/{token}/",
        json.dumps({"csr": csr_for(key)}),
        content_type="application/json",
    )
    assert answer.status_code == 200
    data = answer.json()
    cert = x509.load_pem_x509_certificate(data["certificate"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert data["chain"] == [ca.authorities()[1].certificate_pem]
    enrolment.refresh_from_db()
    assert enrolment.used_at is not None and enrolment.certificate.serial == f"{cert.serial_number:x}"

    again = client.post(
        f"/accounts/certificate-enrol/{token}/",
        json.dumps({"csr": csr_for(key)}),
        content_type="application/json",
    )
    assert again.status_code == 404
    assert client.get(f"/accounts/certificate-enrol/{token}/").status_code == 404
    assert ClientCertificate.objects.count() == 1


@pytest.mark.django_db
def test_enrolment_link_refuses_a_bad_csr_and_stays_usable(client, cert_admin, cert_tech):
    _enrolment, url = services.create_enrolment(cert_tech, by=cert_admin)
    path = url.removeprefix(settings.SITE_URL)
    answer = client.post(path, json.dumps({"csr": "garbage"}), content_type="application/json")
    assert answer.status_code == 400 and "not a certificate request" in answer.json()["error"]
    ok = client.post(
        path,
        json.dumps({"csr": csr_for(ec.generate_private_key(ec.SECP256R1()))}),
        content_type="application/json",
    )
    assert ok.status_code == 200


@pytest.mark.django_db
def test_expired_or_unknown_or_superseded_links_are_not_found(client, cert_admin, cert_tech, account, tech):
    first, first_url = services.create_enrolment(cert_tech, by=cert_admin)
    _second, second_url = services.create_enrolment(cert_tech, by=cert_admin)
    assert client.get(first_url.removeprefix(settings.SITE_URL)).status_code == 404  # replaced by the second
    CertificateEnrolment.objects.filter(user=cert_tech).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(second_url.removeprefix(settings.SITE_URL)).status_code == 404
    assert client.get("/accounts/certificate-enrol/no-such-token/").status_code == 404
    # A link of a user whose account no longer logs in by certificate opens nothing either.
    _third, third_url = services.create_enrolment(cert_tech, by=cert_admin)
    cert_tech.account.auth_type = "password"
    cert_tech.account.save()
    assert client.get(third_url.removeprefix(settings.SITE_URL)).status_code == 404


# The user's first certificate, made in their browser (bootstrap of the super user) -----------------


@pytest.mark.django_db
def test_first_certificate_is_made_by_the_user_then_only_an_administrator_issues(client, cert_owner):
    client.post("/accounts/login/", {"login": cert_owner.username, "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(cert_owner.pk)
    # Logged in by password, before any certificate: every page leads to making it.
    home = client.get("/home/")
    assert home.status_code == 302 and home["Location"] == "/me/certificate/"
    page = client.get("/me/certificate/")
    assert page.status_code == 200 and b"data-clientcert" in page.content

    key = ec.generate_private_key(ec.SECP256R1())
    answer = client.post(
        "/me/certificate/enrol/", json.dumps({"csr": csr_for(key)}), content_type="application/json"
    )
    assert answer.status_code == 200
    record = ClientCertificate.objects.get(user=cert_owner)
    assert record.method == "browser" and record.created_by == cert_owner

    # The password no longer opens the account, and a second self-made certificate is refused.
    client.logout()
    client.post("/accounts/login/", {"login": cert_owner.username, "password": PASSWORD})
    assert client.session.get("_auth_user_id") is None
    log_in_by_certificate(client, cert_owner)
    refused = client.post(
        "/me/certificate/enrol/", json.dumps({"csr": csr_for(key)}), content_type="application/json"
    )
    assert refused.status_code == 400 and "ask an administrator" in refused.json()["error"]
    assert ClientCertificate.objects.filter(user=cert_owner).count() == 1


@pytest.mark.django_db
def test_my_certificate_page_is_for_certificate_accounts_only(client, tech):
    client.force_login(tech)
    assert client.get("/me/certificate/").status_code == 404
    assert client.post("/me/certificate/enrol/", "{}", content_type="application/json").status_code == 404
    assert client.get("/me/certificate/panic/").status_code == 404


@pytest.mark.django_db
def test_my_certificate_pages_send_anonymous_to_login_and_refuse_staff(client, staff):
    for path in ("/me/certificate/", "/me/certificate/panic/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(staff)
    assert client.get("/me/certificate/").status_code == 403
