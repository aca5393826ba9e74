"""ACC-8: a user's own data: contact details, email, processing purposes, and the GDPR export.

Each change is audited; the former address is told when the email changes (a stolen session
cannot move the account away silently).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import PROCESSING_PURPOSES, AuditEvent, User

# ACC-8: what a user may accept their data to be used for; stored in User.processing_purposes.

PROFILE_FIELDS = ("first_name", "last_name", "phone", "language")

# Every stored field about the person (the page and the JSON export read this one list).
STORED_FIELDS = [
    ("username", _("Username")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("Email")),
    ("phone", _("Phone")),
    ("language", _("Language of emails")),
    ("date_joined", _("User since")),
    ("last_login", _("Last login")),
    ("previous_login", _("Previous login")),
    ("password_changed_at", _("Password changed")),
    ("failed_login_count", _("Consecutive failed logins")),
    ("locked_at", _("Locked since")),
    ("is_active", _("Active")),
    ("is_account_superuser", _("Super user of the account")),
]

# ACC-8: parts of the export that apps above this one add (contracts: data processing decisions),
# registered at start-up so that accounts imports none of them.
EXPORT_SECTIONS: dict[str, Callable[[User], Any]] = {}


def register_export_section(name: str, function: Callable[[User], Any]) -> None:
    """Add `name` to every personal-data export, computed by `function(user)`."""
    EXPORT_SECTIONS[name] = function


def update_profile(user: User, data: dict[str, Any], *, request: HttpRequest | None = None) -> list[str]:
    """ACC-8: the user's own name, phone and language. Returns the names of the changed fields."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changed = [name for name in PROFILE_FIELDS if getattr(locked, name) != data[name]]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, data[name])
        locked.save(update_fields=changed)
        log_action(
            "user.profile_changed",
            account=locked.account,
            user=locked,
            obj=locked,
            request=request,
            fields=changed,
        )
    user.refresh_from_db()
    return changed


def change_email(user: User, email: str, *, request: HttpRequest | None = None) -> bool:
    """ACC-8 / ACC-9: a new email (after a recent authentication); the former address is told.

    allauth's address book follows: an old address must no longer log in nor receive a reset link.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        former = locked.email
        if former == email:
            return False
        locked.email = email
        locked.save(update_fields=["email"])
        EmailAddress.objects.filter(user=locked).exclude(email__iexact=email).delete()
        log_action(
            "user.email_changed",
            account=locked.account,
            user=locked,
            obj=locked,
            request=request,
            former=former,
            new=email,
        )
        if former:
            send_mail_on_commit(
                "user_email_changed",
                [former],
                {
                    "first_name": locked.first_name,
                    "username": locked.username,
                    "new_email": email,
                },
                locked.language,
            )
    user.refresh_from_db()
    return True


def set_processing_purposes(user: User, purposes: list[str], *, request: HttpRequest | None = None) -> bool:
    """ACC-8: the purposes the user accepts, among PROCESSING_PURPOSES."""
    unknown = set(purposes) - set(PROCESSING_PURPOSES)
    if unknown:
        raise ValueError(f"Unknown processing purposes: {sorted(unknown)}")
    chosen = [code for code in PROCESSING_PURPOSES if code in purposes]
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = list(locked.processing_purposes or [])
        if sorted(before) == sorted(chosen):
            return False
        locked.processing_purposes = chosen
        locked.save(update_fields=["processing_purposes"])
        log_action(
            "user.purposes_changed",
            account=locked.account,
            user=locked,
            obj=locked,
            request=request,
            before=before,
            after=chosen,
        )
    user.refresh_from_db()
    return True


def own_activity(user: User) -> Any:
    """What the user did (their audit events: when, what, from which address)."""
    return AuditEvent.objects.filter(user=user).order_by("-created_at", "-id")


def personal_data(user: User) -> dict[str, Any]:
    """ACC-8 (GDPR access and portability): everything stored about the user, for the JSON export.

    Their own actions are listed without their details, which may name other people.
    """
    activity = own_activity(user).values_list("created_at", "action", "ip_address")
    return {
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "user": {name: getattr(user, name) for name, _label in STORED_FIELDS},
        "account": {
            "name": user.account.name if user.account else None,
            "rights": [right.value for right in user.rights],
        },
        "processing_purposes": list(user.processing_purposes or []),
        "activity": [
            {"when": when.isoformat(timespec="seconds"), "action": action, "address": address}
            for when, action, address in activity
        ],
        **{name: function(user) for name, function in EXPORT_SECTIONS.items()},
    }
