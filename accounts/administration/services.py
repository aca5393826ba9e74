"""Users administration (ADM-1, ADM-2), API users and tokens (ADM-4), the staff's change of super
user (STAFF-1).

Each change runs in one transaction under a row lock, re-checks the state (idempotent), writes an
audit event and queues its email on commit. Nobody changes the account's super user here: only
staff do (`change_account_superuser`). Passwords are never logged nor emailed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.api.tokens import generate_token
from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, ApiToken, Right, User


class UserAdminError(Exception):
    """The change is refused (the super user, oneself, an API user); the message says why."""


def _rights_codes(rights: Iterable[Right]) -> list[str]:
    return sorted(Right(r).value for r in rights)


# Issue 13: rights only the account's super user grants (money and order approval).
SUPERUSER_ONLY_RIGHTS = frozenset({Right.APPROVAL, Right.BILLING})


def grantable_rights(by: User) -> set[Right]:
    """The rights `by` may grant or take away: the super user every right, anyone else only the
    rights they hold themself, never Approval nor Billing."""
    if by.is_account_superuser:
        return set(Right)
    return {right for right in by.rights if right not in SUPERUSER_ONLY_RIGHTS}


def check_grant(by: User, before: Iterable[Right], after: Iterable[Right]) -> None:
    """Refuse a change of rights that touches a right `by` may not grant (UI, API and tasks alike)."""
    beyond = (set(before) ^ set(after)) - grantable_rights(by)
    if beyond:
        raise UserAdminError(
            "Rights beyond one's own cannot be granted: " + ", ".join(_rights_codes(beyond)) + "."
        )


def stored_rights(user: User) -> set[Right]:
    """The rights ticked on the user (not the super user's implicit "all")."""
    return {
        right
        for right, ticked in (
            (Right.TECHNICAL, user.right_technical),
            (Right.COMMERCIAL, user.right_commercial),
            (Right.BILLING, user.right_billing),
            (Right.ADMINISTRATIVE, user.right_administrative),
            (Right.APPROVAL, user.right_approval),
        )
        if ticked
    }


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _refuse_protected(target: User, by: User) -> None:
    if target.is_account_superuser:
        raise UserAdminError("The account's super user is changed by our staff only.")
    if target.pk == by.pk:
        raise UserAdminError("Nobody changes their own rights or state here.")


def end_user_sessions(user: User) -> int:
    """ACC-9: end every session of `user` (suspension; also usable after a password or 2FA reset).

    Works with the database-backed session engines (db, cached_db: the store's delete() clears the
    cache copy too). Inactive users are also refused by the authentication backend on their next
    request, so a cache-only engine would still log them out, one request later.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    target = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == target
    ]
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


def create_user(
    account: Account, data: dict[str, Any], *, by: User, request: HttpRequest | None = None
) -> User:
    """ADM-1: add a user with a password typed by the administrator and the ticked rights (ADM-2).

    `data` is `UserAddForm.cleaned_data`. With `notify`, the user is emailed their username and the
    login address, never the password.
    """
    rights = set(data["rights"])
    check_grant(by, set(), rights)
    with transaction.atomic():
        user = User(
            account=account,
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data.get("phone", ""),
            language=data["language"],
            is_active=True,
            password_changed_at=timezone.now(),
        )
        user.set_rights(rights)
        user.set_password(data["password1"])
        user.save()
        log_action(
            "user.created",
            account=account,
            user=by,
            obj=user,
            request=request,
            username=user.username,
            rights=_rights_codes(rights),
            notified=bool(data.get("notify")),
        )
        if data.get("notify"):
            send_mail_on_commit(
                "user_created",
                [user.email],
                {
                    "first_name": user.first_name,
                    "username": user.username,
                    "account_name": account.name,
                    "created_by": by.get_full_name() or by.username,
                    "login_url": settings.SITE_URL + reverse("account_login"),
                },
                user.language,
            )
    return user


def change_rights(
    user: User, rights: Iterable[Right], *, by: User, request: HttpRequest | None = None
) -> bool:
    """ADM-2: replace the user's rights; False when nothing changed (no audit event then)."""
    rights = set(rights)
    with transaction.atomic():
        locked = _lock(user)
        _refuse_protected(locked, by)
        before = stored_rights(locked)
        if before == rights:
            return False
        check_grant(by, before, rights)
        locked.set_rights(rights)
        locked.save(
            update_fields=[
                "right_technical",
                "right_commercial",
                "right_billing",
                "right_administrative",
                "right_approval",
            ]
        )
        log_action(
            "user.rights_changed",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            before=_rights_codes(before),
            after=_rights_codes(rights),
        )
    user.refresh_from_db()
    return True


def suspend_user(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ADM-1: suspend a user: no login, and every open session ends now (ACC-9). Idempotent."""
    with transaction.atomic():
        locked = _lock(user)
        _refuse_protected(locked, by)
        if not locked.is_active:
            return False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        ended = end_user_sessions(locked)
        log_action(
            "user.suspended",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
            sessions_ended=ended,
        )
    user.refresh_from_db()
    return True


def reactivate_user(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ADM-1: lift a suspension. Idempotent."""
    with transaction.atomic():
        locked = _lock(user)
        _refuse_protected(locked, by)
        if locked.is_active:
            return False
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        log_action(
            "user.reactivated",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
        )
    user.refresh_from_db()
    return True


def delete_user(user: User, *, by: User, request: HttpRequest | None = None) -> None:
    """ADM-1: delete a user. Their audit events stay, with the name they had (`actor_name`)."""
    with transaction.atomic():
        locked = _lock(user)
        _refuse_protected(locked, by)
        end_user_sessions(locked)
        log_action(
            "user.deleted",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
            name=locked.get_full_name(),
        )
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError:
            raise UserAdminError("This user is still referenced; suspend them instead.") from None


def _api_username(name: str) -> str:
    base = slugify(name)[:40] or "client"
    return f"api-{base}-{secrets.token_hex(3)}"


def create_api_user(
    account: Account,
    *,
    name: str,
    rights: Iterable[Right],
    by: User,
    request: HttpRequest | None = None,
    expires_at: datetime | None = None,
) -> tuple[User, ApiToken, str]:
    """ADM-4: an API user (no usable password, never logs into the web pages) and its first token.

    Only the account's super user may do it. Returns the user, the token and its raw value, which
    is shown once and never stored.
    """
    if not (by.is_account_superuser and by.account_id == account.pk):
        raise UserAdminError("Only the account's super user creates API users.")
    rights = set(rights)
    check_grant(by, set(), rights)
    with transaction.atomic():
        user = User(
            account=account,
            username=_api_username(name),
            first_name=name,
            is_api_user=True,
            language=by.language,
        )
        user.set_rights(rights)
        user.set_unusable_password()
        user.save()
        log_action(
            "api_user.created",
            account=account,
            user=by,
            obj=user,
            request=request,
            username=user.username,
            rights=_rights_codes(rights),
        )
        token, raw = create_api_token(user, name=name, by=by, request=request, expires_at=expires_at)
    return user, token, raw


def create_api_token(
    api_user: User,
    *,
    name: str,
    by: User,
    request: HttpRequest | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """ADM-4: a new token for an API user; the raw value is returned once and never stored.
    `expires_at` (issue 13.8, optional) must be in the future."""
    if not (by.is_account_superuser and by.account_id == api_user.account_id):
        raise UserAdminError("Only the account's super user manages API tokens.")
    if not api_user.is_api_user:
        raise UserAdminError("Tokens are for API users only.")
    if expires_at is not None and expires_at <= timezone.now():
        raise UserAdminError("A token's expiry date must be in the future.")
    assert api_user.account_id is not None  # the super user's check above: same, non-null account
    for _attempt in range(5):
        new = generate_token()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    account_id=api_user.account_id,
                    user=api_user,
                    name=name,
                    prefix=new.prefix,
                    key_sha256=new.sha256,
                    created_by=by,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # prefix collision (32 bits): draw again
        log_action(
            "api_token.created",
            account=api_user.account,
            user=by,
            obj=api_user,
            request=request,
            prefix=token.prefix,
            name=name,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
        return token, new.raw
    raise RuntimeError("Could not draw a unique token prefix.")


def revoke_api_token(token: ApiToken, *, by: User, request: HttpRequest | None = None) -> bool:
    """ADM-4: revoke a token at once; the API answers 401 to it from now on. Idempotent."""
    if not (by.is_account_superuser and by.account_id == token.account_id):
        raise UserAdminError("Only the account's super user manages API tokens.")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        log_action(
            "api_token.revoked",
            account=locked.account,
            user=by,
            obj=locked.user,
            request=request,
            prefix=locked.prefix,
            name=locked.name,
        )
    token.refresh_from_db()
    return True


def change_account_superuser(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """STAFF-1 / ADM-1: staff make `user` the super user of their account.

    The former super user keeps every right, ticked explicitly, so nobody loses access by
    surprise; staff or the new super user adjust them afterwards. Idempotent.
    """
    if not by.is_staff:
        raise UserAdminError("Only staff change an account's super user.")
    if user.account_id is None or user.is_api_user or not user.is_active:
        raise UserAdminError("Only an active person of an account can become its super user.")
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=user.account_id)
        users = list(
            User.objects.select_for_update().filter(account_id=user.account_id, is_account_superuser=True)
        )
        if [u.pk for u in users] == [user.pk]:
            return False
        former = users[0] if users else None
        if former is not None:
            former.is_account_superuser = False
            former.set_rights(list(Right))
            former.save(
                update_fields=[
                    "is_account_superuser",
                    "right_technical",
                    "right_commercial",
                    "right_billing",
                    "right_administrative",
                    "right_approval",
                ]
            )
        User.objects.filter(pk=user.pk).update(is_account_superuser=True)
        log_action(
            "account.superuser_changed",
            account=user.account,
            user=by,
            obj=user.account,
            request=request,
            new=user.username,
            former=former.username if former else "",
        )
    user.refresh_from_db()
    return True
