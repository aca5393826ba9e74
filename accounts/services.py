"""Account workflows: registration (ACC-1), staff validation and rejection (ACC-2, STAFF-1).

Each state change runs in one transaction under a row lock, is idempotent, writes an audit event
and queues its emails on commit (accounts.mail), so a rolled-back change sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope

from .audit import log_action
from .mail import send_mail_on_commit
from .models import Account, Contact, Organisation, User


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
def register_account(data: dict[str, Any], *, request=None) -> Account:
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
        admin_contact = Contact.objects.create(account=account, organisation=holder, **_contact_data(data, "admin"))
        if data.get("tech_same_as_admin"):
            tech_contact = admin_contact
        else:
            tech_contact = Contact.objects.create(account=account, organisation=holder, **_contact_data(data, "tech"))
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
            "account.registered", account=account, user=superuser, obj=account, request=request,
            registration_number=holder.registration_number, kind=account.kind, formula=account.formula,
            auth_type=account.auth_type, username=superuser.username,
        )
    _notify_staff_of_request(account, holder)
    return account


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
