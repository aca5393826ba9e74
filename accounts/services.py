"""Account workflows: registration (ACC-1), staff validation and rejection (ACC-2, STAFF-1), the login
lock and its unlocking (ACC-3).

Each state change runs in one transaction under a row lock, is idempotent, writes an audit event
and queues its emails on commit (accounts.mail), so a rolled-back change sends nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from .audit import log_action
from .mail import send_mail_on_commit
from .models import Account, Contact, Organisation, Right, User


class AccountStateError(Exception):
    """The account is not in a state that allows this change (e.g. validating a rejected request)."""


def _contact_data(data: dict[str, Any], prefix: str) -> dict[str, str]:
    return {
        "first_name": data[f"{prefix}_first_name"],
        "last_name": data[f"{prefix}_last_name"],
        "email": data[f"{prefix}_email"],
        "phone": data[f"{prefix}_phone"],
        "job_title": data.get(f"{prefix}_job_title", ""),
    }


@transaction.atomic
def register_account(data: dict[str, Any], *, request: HttpRequest | None = None) -> Account:
    """ACC-1: create a pending account from the registration form's cleaned data.

    Creates the account, its holder organisation, the administrative and technical contacts (one
    contact when they are the same person) and the super user, who has no usable password until
    staff validate the request (ACC-2). Staff are emailed.
    """
    language = data["language"]
    account = Account.objects.create(
        name=data["company_name"],
        kind=data["kind"],
        formula=data["formula"],
        auth_type=data["auth_type"],
        status=Account.Status.PENDING,
        language=language,
        terms_accepted_at=timezone.now(),
    )
    # A new tenant: its own scope is the right one for creating its rows.
    with scope(account=account.pk):
        holder = Organisation(
            account=account,
            name=data["company_name"],
            registration_number=data["registration_number"],
            naf_code=data.get("naf_code", ""),
            vat_number=data.get("vat_number", ""),
            address=data["address"],
            postal_code=data["postal_code"],
            city=data["city"],
            country=data["country"],
            phone=data["phone"],
        )
        holder.is_account_holder = True  # editable=False: set by code only
        holder.save()
        admin_contact = Contact.objects.create(
            account=account, organisation=holder, **_contact_data(data, "admin")
        )
        if data.get("tech_same_as_admin"):
            tech_contact = admin_contact
        else:
            tech_contact = Contact.objects.create(
                account=account, organisation=holder, **_contact_data(data, "tech")
            )
        account.administrative_contact = admin_contact
        account.technical_contact = tech_contact
        account.save(update_fields=["administrative_contact", "technical_contact"])

        superuser = User(
            account=account,
            username=data["username"],
            email=admin_contact.email,
            first_name=admin_contact.first_name,
            last_name=admin_contact.last_name,
            phone=admin_contact.phone,
            language=language,
            is_account_superuser=True,
            is_active=True,
        )
        superuser.set_unusable_password()  # chosen through the link sent on validation
        superuser.save()

        log_action(
            "account.registered",
            account=account,
            user=superuser,
            obj=account,
            request=request,
            registration_number=holder.registration_number,
            kind=account.kind,
            formula=account.formula,
            auth_type=account.auth_type,
            username=superuser.username,
        )
    _notify_staff_of_request(account, holder)
    return account


def _same_company_organisations(account_ref: Any, own_ref: Any) -> QuerySet[Organisation]:
    """Organisations of other, not rejected accounts sharing a registration number or a non-empty
    VAT number with one of the account's organisations (an id, or OuterRefs from one and two
    levels down when used as a subquery)."""
    with scopes_disabled():  # registration and staff pages look across tenants by design
        own = Organisation.objects.filter(account=own_ref)
        return (
            Organisation.objects.exclude(account=account_ref)
            .exclude(account__status=Account.Status.REJECTED)
            .filter(
                Q(registration_number__in=own.values("registration_number"))
                | Q(vat_number__in=own.exclude(vat_number="").values("vat_number"))
            )
        )


def same_company_accounts(account: Account) -> list[Account]:
    """Issue 13.6: the other accounts whose organisations share the SIREN or VAT number of this
    account's organisations, for staff to decide at validation (never shown to the applicant)."""
    with scopes_disabled():
        ids = _same_company_organisations(account.pk, account.pk).values("account_id")
        return list(Account.objects.filter(pk__in=ids).order_by("name"))


def with_same_company(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Annotate `same_company_id`: one other account sharing the SIREN or VAT number (or None), in
    the same query as the list (constant number of queries)."""
    with scopes_disabled():
        matches = _same_company_organisations(OuterRef("pk"), OuterRef(OuterRef("pk")))
        other = matches.order_by("account_id").values("account_id")[:1]
    return accounts.annotate(same_company_id=Subquery(other))


def _notify_staff_of_request(account: Account, holder: Organisation) -> None:
    """One email per language to every active staff member with an address."""
    recipients: dict[str, list[str]] = defaultdict(list)
    for email, language in (
        User.objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", "language")
    ):
        recipients[language or settings.LANGUAGE_CODE].append(email)
    admin_url = settings.SITE_URL + reverse("admin:accounts_account_change", args=[account.pk])
    for language, emails in recipients.items():
        with translation.override(language):
            context = {
                "account_name": account.name,
                "kind": str(account.get_kind_display()),
                "formula": str(account.get_formula_display()),
                "registration_number": holder.registration_number,
                "country": holder.country,
                "admin_url": admin_url,
            }
        send_mail_on_commit("account_request", sorted(emails), context, language)


def set_password_url(user: User) -> str:
    """ACC-2: a link to allauth's "set a new password" page, valid PASSWORD_RESET_TIMEOUT seconds."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return settings.SITE_URL + path


def validate_account(account: Account, *, by: User) -> None:
    """ACC-2 / STAFF-1: accept a pending request and email the super user a set-password link.

    Idempotent: validating an active account again does nothing (row lock, state re-checked).
    """
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.ACTIVE:
            return
        if locked.status != Account.Status.PENDING:
            raise AccountStateError(f"Cannot validate an account in status {locked.status}.")
        locked.status = Account.Status.ACTIVE
        locked.validated_at = timezone.now()
        locked.save(update_fields=["status", "validated_at"])
        superuser = locked.users.get(is_account_superuser=True)
        log_action("account.validated", account=locked, user=by, obj=locked, superuser=superuser.username)
        send_mail_on_commit(
            "account_validated",
            [superuser.email],
            {
                "first_name": superuser.first_name,
                "username": superuser.username,
                "account_name": locked.name,
                "set_password_url": set_password_url(superuser),
                "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
                "login_url": settings.SITE_URL + reverse("account_login"),
            },
            superuser.language,
        )
    account.refresh_from_db()


def reject_account(account: Account, reason: str, *, by: User) -> None:
    """ACC-2 / STAFF-1: refuse a pending request; the administrative contact receives the reason.

    Idempotent: rejecting a rejected account again does nothing.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("A rejection needs a reason.")
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.REJECTED:
            return
        if locked.status != Account.Status.PENDING:
            raise AccountStateError(f"Cannot reject an account in status {locked.status}.")
        locked.status = Account.Status.REJECTED
        locked.rejection_reason = reason
        locked.save(update_fields=["status", "rejection_reason"])
        log_action("account.rejected", account=locked, user=by, obj=locked, reason=reason)
        recipient, first_name = _administrative_address(locked)
        send_mail_on_commit(
            "account_rejected",
            [recipient],
            {"first_name": first_name, "account_name": locked.name, "reason": reason},
            locked.language,
        )
    account.refresh_from_db()


def _administrative_address(account: Account) -> tuple[str, str]:
    """The administrative contact's email, or the super user's for accounts made before contacts."""
    contact = account.administrative_contact
    if contact is not None:
        return contact.email, contact.first_name
    superuser = account.users.get(is_account_superuser=True)
    return superuser.email, superuser.first_name


# --- Login lock (ACC-3) -------------------------------------------------------------------------

LOCK_MESSAGE = _(
    "This login is locked after too many failed attempts. An administrator of your account or our "
    "staff must unlock it."
)
# Failures on names that match no user are counted too, and end in the same lock message, so the
# login page never tells whether a name exists (ACC-3). They live in the cache this long.
_UNKNOWN_NAME_TTL = 30 * 86400


def log_login_event(action: str, **kwargs: Any) -> None:
    # Login events are written before anyone is logged in, so outside any account scope: the
    # account is named explicitly on each event instead.
    with scopes_disabled():
        log_action(action, **kwargs)


def _unknown_name_key(login: str) -> str:
    return "login-failures:" + hashlib.sha256(login.strip().lower().encode()).hexdigest()


def users_for_login(login: str) -> list[User]:
    """The users a login name may designate: by username or by email, ignoring case."""
    login = login.strip()
    if not login:
        return []
    return list(User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).order_by("pk"))


def is_login_locked(login: str) -> bool:
    """ACC-3: whether the login page refuses this name before looking at the password.

    True when every user the name designates is locked, or, for a name that designates nobody,
    after as many failures as would lock a real user.
    """
    users = users_for_login(login)
    if users:
        return all(user.locked_at is not None for user in users)
    return (cache.get(_unknown_name_key(login)) or 0) >= settings.LOGIN_LOCK_AFTER


def record_failed_login(login: str, *, request: HttpRequest | None = None, step: str = "password") -> bool:
    """ACC-3: count one failed password for the users `login` designates; lock at the 5th in a row.

    Writes "login.failed" (and "login.locked" when the lock falls). Returns whether the name is now
    locked, so the caller shows the lock message from the attempt that locked it.
    """
    users = users_for_login(login)
    if not users:
        key = _unknown_name_key(login)
        cache.add(key, 0, _UNKNOWN_NAME_TTL)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, _UNKNOWN_NAME_TTL)
            count = 1
        log_login_event("login.failed", request=request, actor_name=login[:200], login=login[:200], step=step)
        return count >= settings.LOGIN_LOCK_AFTER
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk"):
            if user.locked_at is not None:
                continue
            user.failed_login_count += 1
            fields = ["failed_login_count"]
            log_login_event(
                "login.failed",
                account=user.account,
                user=user,
                obj=user,
                request=request,
                login=login[:200],
                step=step,
                count=user.failed_login_count,
            )
            if user.failed_login_count >= settings.LOGIN_LOCK_AFTER:
                user.locked_at = timezone.now()
                fields.append("locked_at")
                log_login_event(
                    "login.locked",
                    account=user.account,
                    user=user,
                    obj=user,
                    request=request,
                    count=user.failed_login_count,
                )
            user.save(update_fields=fields)
    return is_login_locked(login)


def record_refused_locked_login(login: str, *, request: HttpRequest | None = None) -> None:
    """An attempt on a locked name: audited, not counted (the lock already holds)."""
    users = users_for_login(login)
    for user in users:
        log_login_event(
            "login.failed",
            account=user.account,
            user=user,
            obj=user,
            request=request,
            login=login[:200],
            step="locked",
        )
    if not users:
        log_login_event(
            "login.failed", request=request, actor_name=login[:200], login=login[:200], step="locked"
        )


def reset_failed_logins(user: User) -> None:
    """The right password ends the run of consecutive failures (ACC-3 counts consecutive ones)."""
    if user.failed_login_count:
        User.objects.filter(pk=user.pk, locked_at__isnull=True).update(failed_login_count=0)
        user.failed_login_count = 0


def can_unlock(by: User, user: User) -> bool:
    """Staff, or a holder of the Administrative right in the user's own account (ACC-3, ADM-2)."""
    if by.is_staff and by.is_active:
        return True
    return (
        by.account_id is not None and by.account_id == user.account_id and by.has_right(Right.ADMINISTRATIVE)
    )


def unlock_user(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ACC-3 / STAFF-1: lift the lock of `user` and restart its failure count.

    Allowed to staff and to an administrator of the user's account (PermissionDenied otherwise).
    Idempotent under a row lock: unlocking a user that is not locked changes and audits nothing.
    Returns whether the user was locked.
    """
    if not can_unlock(by, user):
        raise PermissionDenied
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        was_locked = locked.locked_at is not None
        if not was_locked and not locked.failed_login_count:
            return False
        locked.locked_at = None
        locked.failed_login_count = 0
        locked.save(update_fields=["locked_at", "failed_login_count"])
        if was_locked:
            log_login_event(
                "login.unlocked",
                account=locked.account,
                user=by,
                obj=locked,
                request=request,
                username=locked.username,
            )
    user.locked_at = None
    user.failed_login_count = 0
    return was_locked


# --- Sessions (ACC-9) ---------------------------------------------------------------------------


def end_sessions(user: User, *, keep: Any = None) -> None:
    """ACC-9: end every session of `user` (2FA changes, a reset by an administrator).

    Rotates the user's session stamp, which is part of the session hash Django checks on each
    request (User._get_session_auth_hash), so every other session becomes anonymous. `keep` is the
    current request when the user acts on their own sessions: it stays logged in, with a new key.
    """
    stamp = secrets.token_hex(16)
    User.objects.filter(pk=user.pk).update(session_stamp=stamp)
    user.session_stamp = stamp
    if keep is not None and keep.user.is_authenticated and keep.user.pk == user.pk:
        keep.user.session_stamp = stamp
        update_session_auth_hash(keep, keep.user)


# ACC-1: a registration form prefilled with the organisation of a certificate, for the person who
# received a certificate ordered by someone else. The link carries the data, signed so that it
# cannot be made to say something else, and works for PREFILL_MAX_AGE.
PREFILL_SALT = "accounts.registration-prefill"
PREFILL_MAX_AGE = timedelta(days=90)
PREFILL_FIELDS = (
    "company_name",
    "country",
    "registration_number",
    "naf_code",
    "vat_number",
    "address",
    "postal_code",
    "city",
    "phone",
)


def registration_prefill_url(organisation: Organisation) -> str:
    """The absolute registration URL prefilled with `organisation` (ACC-1)."""
    data = {
        "company_name": organisation.name,
        "country": organisation.country,
        "registration_number": organisation.registration_number,
        "naf_code": organisation.naf_code,
        "vat_number": organisation.vat_number,
        "address": organisation.address,
        "postal_code": organisation.postal_code,
        "city": organisation.city,
        "phone": organisation.phone,
    }
    token = signing.dumps({k: v for k, v in data.items() if v}, salt=PREFILL_SALT, compress=True)
    return f"{settings.SITE_URL}{reverse('registration:register')}?{urlencode({'prefill': token})}"


def registration_prefill(token: str) -> dict[str, str]:
    """The registration form's initial data from a prefill link; nothing for a bad or old link."""
    try:
        data = signing.loads(token, salt=PREFILL_SALT, max_age=PREFILL_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: str(value) for key, value in data.items() if key in PREFILL_FIELDS}
