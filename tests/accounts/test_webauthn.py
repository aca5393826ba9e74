"""ACC-6 passkeys, server side, with a software authenticator (P-256, "none" attestation): what the
browser test cannot easily show — refusals of bad origins, replayed challenges, other users'
passkeys, locked users, certificate accounts, and the recent-authentication rule."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import include, path, reverse
from webauthn.helpers import bytes_to_base64url

from accounts.models import Account, AuditEvent, User, WebAuthnCredential
from accounts.twofactor.webauthn import user_handle
from portal import urls as portal_urls
from tests.factories import PASSWORD

urlpatterns = list(portal_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "twofactor" for p in urlpatterns):
    urlpatterns.append(path("", include("accounts.twofactor.urls")))

ORIGIN = "https://portal.example"
RP_ID = "portal.example"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.ROOT_URLCONF = __name__
    settings.STAFF_REQUIRE_2FA = False
    settings.WEBAUTHN_RP_ID = RP_ID
    settings.WEBAUTHN_ORIGINS = [ORIGIN]


class SoftAuthenticator:
    """Enough of a CTAP2 platform authenticator to answer create() and get()."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle = ""

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        self.sign_count += 1
        return (
            hashlib.sha256(RP_ID.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", self.sign_count)
            + attested
        )

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, origin: str = ORIGIN) -> dict:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)
        self.user_handle = options["user"]["id"]
        raw_id = bytes_to_base64url(self.credential_id)
        return {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(self._client_data("webauthn.create", options, origin)),
                "attestationObject": bytes_to_base64url(
                    cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
                ),
                "transports": ["internal"],
            },
        }

    def get(self, options: dict, origin: str = ORIGIN, user_verified: bool = True) -> dict:
        auth_data = self._auth_data(0x01 | (0x04 if user_verified else 0))
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        raw_id = bytes_to_base64url(self.credential_id)
        return {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": self.user_handle,
            },
        }


def post_json(client, name: str, body: dict | None = None):
    return client.post(reverse(f"twofactor:{name}"), json.dumps(body or {}), content_type="application/json")


def logged_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def register(client, authenticator: SoftAuthenticator, name: str = "Laptop", origin: str = ORIGIN):
    options = post_json(client, "passkey_register_options", {"name": name}).json()
    return post_json(
        client, "passkey_register", {"name": name, "credential": authenticator.create(options, origin)}
    )


def passkey_login(client, authenticator: SoftAuthenticator, **kwargs):
    options = post_json(client, "passkey_login_options").json()
    return post_json(client, "passkey_login", {"credential": authenticator.get(options, **kwargs)})


def expire_recent_authentication(client):
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 301
    session.save()


# --- Registration --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_options_ask_for_a_discoverable_verified_credential(owner):
    client = logged_in(owner)
    options = post_json(client, "passkey_register_options", {"name": "Laptop"}).json()
    assert options["rp"] == {"id": RP_ID, "name": "Certificate portal"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["id"] == bytes_to_base64url(user_handle(owner))
    assert owner.email not in json.dumps(options["user"]["id"])


@pytest.mark.django_db
def test_a_registered_passkey_is_stored_named_and_audited(owner):
    client = logged_in(owner)
    response = register(client, SoftAuthenticator(), "Work laptop")
    assert response.json() == {"redirect": "/me/security/"}
    passkey = WebAuthnCredential.objects.get(user=owner)
    assert passkey.name == "Work laptop" and passkey.transports == ["internal"] and passkey.sign_count == 1
    assert AuditEvent.objects.get(action="passkey.added").details["name"] == "Work laptop"
    assert client.get(reverse("twofactor:security")).status_code == 200  # this session goes on


@pytest.mark.django_db
def test_several_passkeys_each_with_its_name(owner):
    client = logged_in(owner)
    for name in ("Laptop", "Phone", "Key"):
        register(client, SoftAuthenticator(), name)
    page = client.get(reverse("twofactor:security")).content.decode()
    assert all(f'value="{name}"' in page for name in ("Laptop", "Phone", "Key"))
    options = post_json(client, "passkey_register_options", {"name": "Fourth"}).json()
    assert len(options["excludeCredentials"]) == 3


@pytest.mark.django_db
def test_registration_refuses_another_origin_and_a_replayed_challenge(owner):
    client = logged_in(owner)
    assert register(client, SoftAuthenticator(), origin="https://evil.example").status_code == 400
    authenticator = SoftAuthenticator()
    options = post_json(client, "passkey_register_options", {"name": "A"}).json()
    answer = authenticator.create(options)
    assert post_json(client, "passkey_register", {"name": "A", "credential": answer}).status_code == 200
    replay = post_json(client, "passkey_register", {"name": "B", "credential": answer})
    assert replay.status_code == 400
    assert WebAuthnCredential.objects.count() == 1


@pytest.mark.django_db
def test_a_passkey_needs_a_name(owner):
    client = logged_in(owner)
    response = post_json(client, "passkey_register_options", {"name": "   "})
    assert response.status_code == 400 and response.json()["field"] == "name"


@pytest.mark.django_db
def test_registration_needs_a_recent_authentication(owner):
    client = logged_in(owner)
    expire_recent_authentication(client)
    response = post_json(client, "passkey_register_options", {"name": "Laptop"})
    assert response.status_code == 403
    assert response.json()["redirect"].startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db
def test_no_passkeys_on_certificate_accounts(owner):
    Account.objects.filter(pk=owner.account_id).update(auth_type=Account.AuthType.CERTIFICATE)
    from accounts.clientcert.services import issue_pkcs12

    owner.refresh_from_db()
    issue_pkcs12(owner, "a-pkcs12-password-2026", by=owner)  # past the "make your certificate first" gate
    owner.refresh_from_db()
    client = Client()
    client.force_login(owner)  # a fresh login counts as a recent authentication
    response = post_json(client, "passkey_register_options", {"name": "Laptop"})
    assert response.status_code == 403 and "certificate" in response.json()["error"]
    # Outside a certificate login, such a user reaches only the page of their certificate (ACC-7).
    page = client.get(reverse("twofactor:security"))
    assert page.status_code == 302 and page["Location"] == reverse("clientcert:mine")
    assert 'data-webauthn="register"' not in client.get(page["Location"]).content.decode()
    assert 'data-webauthn="login"' in Client().get("/accounts/login/").content.decode()  # offered to others


@pytest.mark.django_db
def test_anonymous_cannot_register(client):
    assert post_json(client, "passkey_register_options", {"name": "x"})["Location"].startswith(
        "/accounts/login/"
    )


# --- Passwordless login ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_log_in_with_a_passkey_without_a_password(owner):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    client = Client()
    options = post_json(client, "passkey_login_options").json()
    assert options["userVerification"] == "required" and not options.get("allowCredentials")
    response = post_json(
        client, "passkey_login", {"credential": authenticator.get(options), "next": "/me/security/"}
    )
    assert response.json() == {"redirect": "/me/security/"}
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert (
        client.get(reverse("twofactor:security")).status_code == 200
    )  # the login is a recent authentication
    passkey = WebAuthnCredential.objects.get()
    assert passkey.sign_count == 2 and passkey.last_used_at is not None
    assert AuditEvent.objects.filter(action="login.succeeded").latest("id").details["methods"] == ["passkey"]


@pytest.mark.django_db
def test_passwordless_login_skips_the_second_factor_step(owner):
    from accounts.twofactor import services

    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    device = services.pending_totp_device(owner)
    device.confirmed = True
    device.save()
    client = Client()
    assert passkey_login(client, authenticator).json()["redirect"] == reverse("home")
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_passwordless_login_refuses_an_unverified_user_a_bad_origin_and_an_unknown_key(owner):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    client = Client()
    assert passkey_login(client, authenticator, user_verified=False).status_code == 400
    assert passkey_login(client, authenticator, origin="https://evil.example").status_code == 400
    assert passkey_login(client, SoftAuthenticator()).status_code == 400
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login.failed", details__step="passkey").count() == 3


@pytest.mark.django_db
def test_passwordless_login_refuses_a_user_handle_of_someone_else(owner, tech):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    authenticator.user_handle = bytes_to_base64url(user_handle(tech))
    client = Client()
    assert passkey_login(client, authenticator).status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_challenge_serves_once(owner):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    client = Client()
    options = post_json(client, "passkey_login_options").json()
    answer = authenticator.get(options)
    assert post_json(client, "passkey_login", {"credential": answer}).status_code == 200
    client.post(reverse("account_logout"))
    assert post_json(client, "passkey_login", {"credential": answer}).status_code == 400


@pytest.mark.django_db
def test_a_locked_user_cannot_use_a_passkey(owner):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    User.objects.filter(pk=owner.pk).update(locked_at="2026-01-01T00:00:00Z")
    client = Client()
    response = passkey_login(client, authenticator)
    assert response.status_code == 403 and "locked" in response.json()["error"]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_users_of_a_blocked_account_cannot_use_a_passkey(owner):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    Account.objects.filter(pk=owner.account_id).update(status=Account.Status.BLOCKED)
    client = Client()
    assert passkey_login(client, authenticator).json()["redirect"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


# --- Second factor --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_passkey_is_the_second_factor_after_the_password(owner, tech):
    authenticator = SoftAuthenticator()
    register(logged_in(owner), authenticator)
    client = Client()
    assert client.post("/accounts/login/", {"login": owner.username, "password": PASSWORD})["Location"] == (
        reverse("twofactor:authenticate")
    )
    page = client.get(reverse("twofactor:authenticate")).content.decode()
    assert 'data-webauthn="second-factor"' in page
    options = post_json(client, "authenticate_passkey_options").json()
    assert [c["id"] for c in options["allowCredentials"]] == [bytes_to_base64url(authenticator.credential_id)]
    response = post_json(client, "authenticate_passkey", {"credential": authenticator.get(options)})
    assert response.json() == {"redirect": reverse("home")}
    assert client.session["_auth_user_id"] == str(owner.pk)


@pytest.mark.django_db
def test_another_users_passkey_is_no_second_factor(owner, tech):
    theirs = SoftAuthenticator()
    register(logged_in(tech), theirs)
    register(logged_in(owner), SoftAuthenticator())
    client = Client()
    client.post("/accounts/login/", {"login": owner.username, "password": PASSWORD})
    options = post_json(client, "authenticate_passkey_options").json()
    assert post_json(client, "authenticate_passkey", {"credential": theirs.get(options)}).status_code == 400
    assert "_auth_user_id" not in client.session


# --- Managing passkeys ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_rename_keeps_what_was_typed_next_to_the_field_on_error(owner):
    client = logged_in(owner)
    register(client, SoftAuthenticator(), "Laptop")
    passkey = WebAuthnCredential.objects.get()
    bad = client.post(reverse("twofactor:passkey_rename", args=[passkey.pk]), {"name": "x" * 101})
    assert bad.status_code == 400
    assert 'class="field has-error"' in bad.content.decode() and "x" * 101 in bad.content.decode()
    client.post(reverse("twofactor:passkey_rename", args=[passkey.pk]), {"name": "Desk"})
    passkey.refresh_from_db()
    assert passkey.name == "Desk"
    assert AuditEvent.objects.get(action="passkey.renamed").details == {
        "name": "Desk",
        "former_name": "Laptop",
    }


@pytest.mark.django_db
def test_another_users_passkey_is_not_found(owner, outsider):
    register(logged_in(outsider), SoftAuthenticator())
    theirs = WebAuthnCredential.objects.get()
    client = logged_in(owner)
    assert (
        client.post(reverse("twofactor:passkey_rename", args=[theirs.pk]), {"name": "Mine"}).status_code
        == 404
    )
    assert client.post(reverse("twofactor:passkey_remove", args=[theirs.pk])).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk, name="Laptop").exists()


@pytest.mark.django_db
def test_removing_asks_for_a_recent_authentication_and_ends_other_sessions(owner):
    client = logged_in(owner)
    register(client, SoftAuthenticator())
    passkey = WebAuthnCredential.objects.get()
    elsewhere = Client()
    elsewhere.force_login(owner)
    expire_recent_authentication(client)
    stale = client.post(reverse("twofactor:passkey_remove", args=[passkey.pk]))
    assert stale["Location"].startswith(reverse("account_reauthenticate"))
    assert WebAuthnCredential.objects.exists()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.post(reverse("twofactor:passkey_remove", args=[passkey.pk]))
    assert not WebAuthnCredential.objects.exists()
    assert AuditEvent.objects.filter(action="passkey.removed").exists()
    assert client.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home"))["Location"].startswith("/accounts/login/")
