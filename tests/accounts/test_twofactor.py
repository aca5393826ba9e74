"""ACC-5: TOTP enrolment, the second login step (codes, backup codes, limits), the account-wide
requirement, staff and /staff/, disabling and resetting; ACC-9 recent authentication."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account, AuditEvent, Right
from accounts.twofactor import services
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
STEP = "/accounts/2fa/authenticate/"
SECURITY = "/me/security/"


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch):
    settings.STAFF_REQUIRE_2FA = False
    # django-otp delays a device's next try after a failure; tests that need it turn it back on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = services.pending_totp_device(user)
    codes = services.confirm_totp(user, code_for(device))
    device.refresh_from_db()
    return device, codes


def password_step(client, user, password=PASSWORD):
    return client.post(LOGIN, {"login": user.username, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Enrolment --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_then_confirms_with_a_code_and_shows_backup_codes_once(client, tech):
    password_step(client, tech)
    page = client.get(reverse("twofactor:totp_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<?xml" not in html
    device = TOTPDevice.objects.get(user=tech, confirmed=False)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert secret.startswith(__import__("base64").b32encode(device.bin_key).decode()[:8])

    wrong = client.post(
        reverse("twofactor:totp_setup"), {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "code" in wrong.context["form"].errors
    assert not services.has_totp(tech)

    done = client.post(reverse("twofactor:totp_setup"), {"code": code_for(device)})
    assert done["Location"] == reverse("twofactor:backup_codes")
    assert services.has_totp(tech)
    codes_page = client.get(done["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page.content.decode())
    assert len(codes) == 10 == StaticToken.objects.filter(device__user=tech).count()
    assert client.get(done["Location"]).status_code == 302  # shown once
    event = AuditEvent.objects.get(action="2fa.enabled")
    assert event.user == tech and event.account == tech.account


@pytest.mark.django_db
def test_enrolment_needs_a_recent_authentication(client, tech):
    password_step(client, tech)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 301
    session.save()
    response = client.get(reverse("twofactor:totp_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"])
    assert "Confirm your password" in page.content.decode() and "css/portal." in page.content.decode()
    back = client.post(response["Location"], {"password": PASSWORD})
    assert back["Location"] == reverse("twofactor:totp_setup")
    assert client.get(reverse("twofactor:totp_setup")).status_code == 200


@pytest.mark.django_db
def test_anonymous_and_inactive_accounts_cannot_manage_factors(client, tech):
    for url in (reverse("twofactor:totp_setup"), SECURITY, reverse("twofactor:staff_security")):
        assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(tech)
    Account.objects.filter(pk=tech.account_id).update(status=Account.Status.BLOCKED)
    assert client.get(reverse("twofactor:totp_setup")).status_code == 403


# --- The login step --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_a_second_factor_the_password_alone_does_not_log_in(client, tech):
    device, _codes = enrol(tech)
    response = password_step(client, tech)
    assert response["Location"] == STEP
    assert not is_logged_in(client)
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)
    step = client.get(STEP)
    assert step.status_code == 200 and 'name="code"' in step.content.decode()

    done = client.post(STEP, {"code": code_for(device, drift=1)})  # drift 0 was used by the enrolment
    assert done["Location"] == reverse("home")
    assert is_logged_in(client)
    assert client.get(reverse("home")).status_code == 200
    succeeded = AuditEvent.objects.get(action="login.succeeded")
    assert succeeded.details["methods"] == ["mfa", "password"]


@pytest.mark.django_db
def test_the_session_key_changes_when_the_second_factor_is_passed(client, tech):
    device, _codes = enrol(tech)
    password_step(client, tech)
    pending_key = client.session.session_key
    client.post(STEP, {"code": code_for(device, drift=1)})
    assert client.session.session_key != pending_key


@pytest.mark.django_db
def test_a_used_code_is_refused(client, tech):
    device, _codes = enrol(tech)
    code = code_for(device, drift=1)  # the next step's code, not used by the enrolment
    password_step(client, tech)
    assert client.post(STEP, {"code": code}).status_code == 302
    client.post(reverse("account_logout"))
    password_step(client, tech)
    again = client.post(STEP, {"code": code})
    assert again.status_code == 200
    assert "already used" in str(again.context["form"].errors["code"])
    assert not is_logged_in(client)
    failed = AuditEvent.objects.get(action="login.failed")
    assert failed.details["step"] == "second_factor" and failed.user == tech


@pytest.mark.django_db
def test_a_backup_code_works_once(client, tech):
    _device, codes = enrol(tech)
    password_step(client, tech)
    assert client.post(STEP, {"code": codes[3].upper()})["Location"] == reverse("home")
    client.post(reverse("account_logout"))
    password_step(client, tech)
    assert client.post(STEP, {"code": codes[3]}).status_code == 200
    assert not is_logged_in(client)
    assert services.backup_codes_left(tech) == 9


@pytest.mark.django_db
def test_wrong_answers_are_limited_then_the_login_starts_again(client, tech, settings):
    enrol(tech)
    password_step(client, tech)
    for _ in range(settings.SECOND_FACTOR_MAX_ATTEMPTS - 1):
        assert client.post(STEP, {"code": "not-a-code"}).status_code == 200
    last = client.post(STEP, {"code": "not-a-code"})
    assert last["Location"] == reverse("account_login")
    assert client.get(STEP)["Location"] == reverse("account_login")  # nothing pending any more


@pytest.mark.django_db
def test_a_failed_code_delays_the_next_try(client, tech, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device, _codes = enrol(tech)
    password_step(client, tech)
    client.post(STEP, {"code": "000001" if code_for(device, 1) != "000001" else "000002"})
    assert client.post(STEP, {"code": code_for(device, drift=1)}).status_code == 200  # too soon
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_pending_login_lasts_a_few_minutes(client, tech, settings):
    assert settings.ACCOUNT_LOGIN_TIMEOUT == 300
    device, _codes = enrol(tech)
    password_step(client, tech)
    session = client.session
    session["account_login"]["initiated_at"] -= 301
    session.save()
    response = client.post(STEP, {"code": code_for(device, 1)})
    assert response["Location"] == reverse("account_login")
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_step_is_not_reachable_without_a_password(client, tech):
    enrol(tech)
    assert client.get(STEP)["Location"] == reverse("account_login")


# --- Account-wide requirement -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("requirement", ["require_2fa", "auth_type_2fa"])
def test_a_required_second_factor_sends_every_page_to_enrolment(client, tech, requirement):
    if requirement == "require_2fa":
        Account.objects.filter(pk=tech.account_id).update(require_2fa=True)
    else:
        Account.objects.filter(pk=tech.account_id).update(auth_type=Account.AuthType.TWO_FACTOR)
    response = password_step(client, tech)
    assert is_logged_in(client)
    for url in (response["Location"], reverse("home"), reverse("orders:list"), "/"):
        assert client.get(url)["Location"] == SECURITY, url
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert 'data-testid="enrolment-required"' in page.content.decode()
    assert client.get(reverse("twofactor:totp_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=tech)
    client.post(reverse("twofactor:totp_setup"), {"code": code_for(device)})
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_certificate_accounts_are_not_asked_for_a_second_factor(client, tech):
    Account.objects.filter(pk=tech.account_id).update(
        require_2fa=True, auth_type=Account.AuthType.CERTIFICATE
    )
    client.force_login(tech)
    # The client certificate is their strong authentication: a user still without one is sent to
    # make it (ACC-7), never to a second-factor enrolment.
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == "/me/certificate/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_the_super_user_requires_2fa_for_the_account(client, owner, tech):
    password_step(client, owner)
    page = client.get(SECURITY).content.decode()
    assert 'name="require_2fa"' in page
    response = client.post(reverse("twofactor:require_second_factor"), {"require_2fa": "on"})
    assert response["Location"] == SECURITY
    owner.account.refresh_from_db()
    assert owner.account.require_2fa
    assert AuditEvent.objects.get(action="2fa.required").user == owner
    assert client.get(reverse("home"))["Location"] == SECURITY  # the super user too

    other = Client()
    password_step(other, tech)
    assert other.get(reverse("home"))["Location"] == SECURITY


@pytest.mark.django_db
def test_only_the_super_user_may_require_2fa(client, account):
    from tests import factories

    admin = factories.make_user(account, "admin", rights=list(Right))
    password_step(client, admin)
    assert 'name="require_2fa"' not in client.get(SECURITY).content.decode()
    assert client.post(reverse("twofactor:require_second_factor"), {"require_2fa": "on"}).status_code == 403
    account.refresh_from_db()
    assert not account.require_2fa


@pytest.mark.django_db
def test_the_security_page_refuses_staff_and_sends_anonymous_to_login(client, staff):
    assert client.get(SECURITY)["Location"].startswith(LOGIN)
    client.force_login(staff)
    assert client.get(SECURITY).status_code == 403


# --- Staff and the back office ----------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_need_a_second_factor_for_the_back_office(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True
    response = password_step(client, staff)
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index"))["Location"] == reverse("twofactor:staff_security")
    assert client.get(reverse("admin:accounts_user_changelist"))["Location"] == reverse(
        "twofactor:staff_security"
    )
    assert client.get(reverse("twofactor:staff_security")).status_code == 200
    device = services.pending_totp_device(staff)
    client.post(reverse("twofactor:totp_setup"), {"code": code_for(device)})
    assert client.get(reverse("admin:index")).status_code == 200

    client.post(reverse("account_logout"))
    assert password_step(client, staff)["Location"] == STEP
    assert client.post(STEP, {"code": code_for(device, 1)})["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_the_demo_setting_lets_staff_in_without_a_second_factor(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = False
    password_step(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200


# --- Disabling, regenerating, resetting -----------------------------------------------------------


@pytest.mark.django_db
def test_disabling_removes_the_app_and_codes_and_ends_other_sessions(client, tech):
    device, _codes = enrol(tech)
    elsewhere = Client()
    password_step(elsewhere, tech)
    elsewhere.post(STEP, {"code": code_for(device, 1)})
    assert elsewhere.get(reverse("home")).status_code == 200

    password_step(client, tech)
    client.post(STEP, {"code": code_for(device, 2)})  # a later step than the other session's code
    response = client.post(reverse("twofactor:totp_disable"))
    assert response["Location"] == SECURITY
    assert (
        not TOTPDevice.objects.filter(user=tech).exists()
        and not StaticDevice.objects.filter(user=tech).exists()
    )
    assert AuditEvent.objects.filter(action="2fa.disabled", user=tech).exists()
    assert client.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home"))["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_new_backup_codes_replace_the_old_ones(client, tech):
    device, old = enrol(tech)
    password_step(client, tech)
    client.post(STEP, {"code": code_for(device, 1)})
    response = client.post(reverse("twofactor:backup_codes_regenerate"))
    new = re.findall(
        r"<li><code>([a-z2-7]{8})</code></li>", client.get(response["Location"]).content.decode()
    )
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="2fa.backup_codes_regenerated").count() == 1
    with pytest.raises(services.InvalidCode):
        services.verify_code(tech, old[0])
    assert services.verify_code(tech, new[0]) == "backup"


@pytest.mark.django_db
def test_an_administrator_resets_a_users_factors_and_ends_its_sessions(client, tech, owner, billing):
    device, _codes = enrol(tech)
    password_step(client, tech)
    client.post(STEP, {"code": code_for(device, 1)})
    with pytest.raises(PermissionDenied):
        services.reset_second_factors(tech, by=billing)
    assert services.reset_second_factors(tech, by=owner) is True
    assert not services.has_second_factor(tech)
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)
    assert password_step(client, tech)["Location"] == reverse("home")  # password alone again
    event = AuditEvent.objects.get(action="2fa.disabled")
    assert event.user == owner and event.details["reset"] is True


@pytest.mark.django_db
def test_staff_reset_second_factors_in_the_back_office(client, tech, staff):
    enrol(tech)
    client.force_login(staff)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "reset_second_factors_selected",
            "_selected_action": [tech.pk],
        },
    )
    assert not services.has_second_factor(tech)


@pytest.mark.django_db
def test_codes_are_checked_per_user(tech, owner):
    device, codes = enrol(tech)
    enrol(owner)
    with pytest.raises(services.InvalidCode):
        services.verify_code(owner, codes[0])
    assert services.verify_code(tech, codes[0]) == "backup"
    assert services.verify_code(tech, code_for(device, 1)) == "totp"


@pytest.mark.django_db
def test_the_pending_login_can_be_cancelled(client, tech):
    enrol(tech)
    password_step(client, tech)
    assert client.get(LOGIN)["Location"] == STEP  # the login page brings the user back to the step
    assert client.post(reverse("twofactor:cancel"))["Location"] == reverse("account_login")
    assert client.get(LOGIN).status_code == 200
    assert client.get(STEP)["Location"] == reverse("account_login")
