"""Who billing's emails go to (PLAT-3, ADM-6): the account's administrative contact, and the staff.

Emails are queued with accounts.mail.send_mail_on_commit: a rolled-back change sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings

from accounts.mail import send_mail_on_commit
from accounts.models import Account, User


def _language(code: str) -> str:
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def administrative_recipient(account: Account) -> tuple[str, str] | None:
    """(email, name) of the account's administrative contact (ACC-1), else of its super user."""
    contact = account.administrative_contact
    if contact is not None and contact.email:
        return contact.email, contact.full_name
    superuser = User.objects.filter(account=account, is_account_superuser=True, is_active=True).first()
    if superuser is not None and superuser.email:
        return superuser.email, superuser.get_full_name() or superuser.username
    return None


def mail_administrative_contact(account: Account, template: str, context: dict) -> bool:
    """Queue `template` to the account's administrative contact, in the account's language.
    Returns False when the account has nobody to write to."""
    recipient = administrative_recipient(account)
    if recipient is None:
        return False
    email, name = recipient
    # ADM-5: the invoice address hears of billing too; the generic copy address is copied (ADM-6).
    cc = [account.invoice_email] if account.invoice_email and account.invoice_email != email else []
    send_mail_on_commit(
        template,
        [email],
        {"contact_name": name, "account_name": account.name, **context},
        _language(account.language),
        cc=cc,
        account=account,
    )
    return True


def mail_staff(template: str, context_for: Callable[[str], dict]) -> None:
    """One email per language to every active staff member with an address; `context_for(language)`
    builds the context (JSON-serialisable) in that language."""
    recipients: dict[str, list[str]] = defaultdict(list)
    for email, language in (
        User.objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", "language")
    ):
        recipients[_language(language or "")].append(email)
    for language, emails in recipients.items():
        send_mail_on_commit(template, sorted(emails), context_for(language), language)
