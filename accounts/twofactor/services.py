"""ACC-5: TOTP second factor and single-use backup codes (django-otp), and who must have one.

Every change is audited ("2fa.enabled", "2fa.disabled", "2fa.backup_codes_regenerated") and ends
the user's other sessions (ACC-9): a session that outlives a factor change was never checked with
the new set of factors. Codes are verified under a row lock on the device, so one code cannot be
used twice by two concurrent requests (TOTP keeps the last used time step, a backup code is
deleted when used).
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from ..audit import log_action
from ..models import Account, User, WebAuthnCredential
from ..services import can_unlock, end_sessions

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
_TOTP_CODE = re.compile(r"^\d{6}$")


class InvalidCode(Exception):
    """The code is wrong, already used, or the device is throttled after recent failures."""


def _audit(
    action: str, user: User, *, request: HttpRequest | None = None, by: User | None = None, **details: Any
) -> None:
    # Some of these run during the login step, before any account scope is open: name the account.
    with scopes_disabled():
        log_action(action, account=user.account, user=by or user, obj=user, request=request, **details)


# --- Who has, who needs a second factor ---------------------------------------------------------


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_passkeys(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user).exists()


def has_second_factor(user: User) -> bool:
    """ACC-5 / ACC-6: a confirmed authenticator app or at least one passkey."""
    return has_totp(user) or has_passkeys(user)


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def passkeys_allowed(user: User) -> bool:
    """ACC-6: passkeys are not offered on accounts that log in by client certificate."""
    account = user.account
    return account is None or account.auth_type != Account.AuthType.CERTIFICATE


def account_requires_second_factor(user: User) -> bool:
    """ACC-5 / ADM-4: the super user required 2FA, or the account's login type is "password and
    second factor". Certificate-login accounts use no password, so no second factor either."""
    account = user.account
    if account is None or account.auth_type == Account.AuthType.CERTIFICATE:
        return False
    return account.require_2fa or account.auth_type == Account.AuthType.TWO_FACTOR


def staff_requires_second_factor(user: User) -> bool:
    """Staff need a second factor for the back office unless STAFF_REQUIRE_2FA is off (demo)."""
    return bool(user.is_staff and settings.STAFF_REQUIRE_2FA)


# --- TOTP enrolment -----------------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user), created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def qr_code_svg(text: str) -> str:
    """An inline SVG QR code (no image file, no external service sees the secret)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration to embed it in HTML


def _new_backup_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_totp(user: User, code: str, *, request: HttpRequest | None = None) -> list[str]:
    """ACC-5: the first code from the app confirms the enrolment; returns 10 new backup codes,
    shown once. A confirmed app replaces any former one. Raises InvalidCode."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        )
        if device is None or not device.verify_token(_normalise(code)):
            raise InvalidCode
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_backup_codes(user)
        _audit("2fa.enabled", user, request=request, method="totp")
    end_sessions(user, keep=request)
    return codes


def regenerate_backup_codes(user: User, *, request: HttpRequest | None = None) -> list[str]:
    """ACC-5: a fresh set of 10 backup codes; the former ones stop working."""
    with transaction.atomic():
        codes = _new_backup_codes(user)
        _audit("2fa.backup_codes_regenerated", user, request=request, count=len(codes))
    return codes


def disable_totp(user: User, *, request: HttpRequest | None = None) -> bool:
    """The user removes the authenticator app and the backup codes. Passkeys stay (they are
    managed one by one). Idempotent; returns whether anything was removed."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        removed_codes, _ = StaticDevice.objects.filter(user=user).delete()
        if not removed and not removed_codes:
            return False
        _audit("2fa.disabled", user, request=request, method="totp")
    end_sessions(user, keep=request)
    return True


def reset_second_factors(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ACC-9 / STAFF-1: an administrator of the account or staff remove every second factor of a
    user who lost them (app, backup codes, passkeys) and end all the user's sessions; the user
    then logs in with the password and enrols again (at once if the account requires 2FA).
    Raises PermissionDenied for anybody else. Idempotent; returns whether anything was removed."""
    if not can_unlock(by, user):
        raise PermissionDenied
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        removed += WebAuthnCredential.objects.filter(user=user).delete()[0]
        if not removed:
            return False
        _audit("2fa.disabled", user, request=request, by=by, reset=True, username=user.username)
    end_sessions(user, keep=request)  # keeps only the user's own current session, if it is theirs
    return True


# --- Verification during the login step ----------------------------------------------------------


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def verify_code(user: User, code: str) -> str:
    """ACC-5: a 6-digit code from the app, or one of the backup codes. Returns "totp" or "backup".

    A TOTP code is refused if its time step was already used; a backup code is deleted on use.
    django-otp's throttling delays further tries after each failure. Raises InvalidCode.
    """
    code = _normalise(code)
    with transaction.atomic():
        if _TOTP_CODE.match(code):
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if device is not None and device.verify_token(code):
                return "totp"
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if device is not None and device.verify_token(code):
                return "backup"
    raise InvalidCode


def record_second_factor_failure(
    user: User, *, request: HttpRequest | None = None, method: str = "code"
) -> None:
    """PLAT-6: a wrong code or passkey at the login step is a failed login of that user."""
    _audit("login.failed", user, request=request, step="second_factor", method=method)


def set_account_requires_second_factor(
    account: Account, required: bool, *, by: User, request: HttpRequest | None = None
) -> bool:
    """ACC-5 / ADM-4: the super user requires (or no longer requires) 2FA for every user of the
    account; each user without a factor is then sent to enrolment. Idempotent under a row lock;
    returns whether the setting changed. Raises PermissionDenied for anybody but the super user."""
    if not (by.is_account_superuser and by.account_id == account.pk):
        raise PermissionDenied
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.require_2fa == required:
            return False
        locked.require_2fa = required
        locked.save(update_fields=["require_2fa"])
        log_action(
            "2fa.required" if required else "2fa.not_required",
            account=locked,
            user=by,
            obj=locked,
            request=request,
        )
    account.require_2fa = required
    return True
