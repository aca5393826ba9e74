"""ACC-6 in a real browser: Chromium with a virtual authenticator (DevTools WebAuthn domain through
Playwright's CDP session) registers a passkey, logs in with it without a password, and uses it
as the second factor after a password."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, WebAuthnCredential
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def browser_settings(settings, live_server, monkeypatch):
    settings.STAFF_REQUIRE_2FA = False
    settings.SITE_URL = live_server.url
    # WebAuthn refuses IP addresses as RP ID: the live server answers on "localhost".
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [live_server.url]

    assert live_server.url.startswith("http://localhost:")
    return settings


@pytest.fixture
def authenticator(page):
    """A platform authenticator holding discoverable credentials and verifying the user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, created["authenticatorId"]


def password_login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("[name=login]", user.username)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def register_passkey(page, base, name):
    page.goto(f"{base}/me/security/")
    page.get_by_label("Passkey name").first.fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(f"[data-testid=passkeys] input[value='{name}']")


def log_out(page):
    page.get_by_test_id("connection-bar").get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")


def test_register_a_passkey_then_log_in_with_it_without_a_password(page, live_server, owner, authenticator):
    cdp, authenticator_id = authenticator
    password_login(page, live_server.url, owner)
    page.wait_for_url("**/home/")
    register_passkey(page, live_server.url, "Work laptop")
    passkey = WebAuthnCredential.objects.get(user=owner)
    assert passkey.name == "Work laptop"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"]

    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/home/")
    assert owner.get_full_name() in page.get_by_test_id("connection-bar").inner_text()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count > 0
    login = AuditEvent.objects.filter(action="login.succeeded").latest("id")
    assert login.details["methods"] == ["passkey"]
    assert AuditEvent.objects.filter(action="passkey.added", user=owner).exists()


def test_a_passkey_as_the_second_factor_after_the_password(page, live_server, owner, authenticator):
    password_login(page, live_server.url, owner)
    page.wait_for_url("**/home/")
    register_passkey(page, live_server.url, "Phone")
    log_out(page)

    password_login(page, live_server.url, owner)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.goto(f"{live_server.url}/home/")  # the password alone logged nobody in: back to the step
    assert page.url.endswith("/accounts/2fa/authenticate/")
    assert page.get_by_test_id("connection-bar").count() == 0
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url("**/home/")
    login = AuditEvent.objects.filter(action="login.succeeded").latest("id")
    assert login.details["methods"] == ["mfa", "password"]


def test_rename_and_remove_a_passkey(page, live_server, owner, authenticator):
    password_login(page, live_server.url, owner)
    page.wait_for_url("**/home/")
    register_passkey(page, live_server.url, "Old name")
    row = page.get_by_test_id("passkeys").locator("tr", has=page.locator("input[value='Old name']"))
    row.locator("input[name=name]").fill("New name")
    row.get_by_role("button", name="Rename").click()
    page.wait_for_selector("[data-testid=passkeys] input[value='New name']")
    assert WebAuthnCredential.objects.get(user=owner).name == "New name"
    page.get_by_test_id("passkeys").get_by_role("button", name="Remove").click()
    page.wait_for_selector("text=removed")
    assert not WebAuthnCredential.objects.filter(user=owner).exists()

    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_text("This passkey was not accepted.").wait_for()
    assert page.url.endswith("/accounts/login/")
