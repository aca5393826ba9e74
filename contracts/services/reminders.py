"""JOBS-8 (contract part): reminders before a contract ends, inviting the account to renew it.

Stages: 60, 30 and 7 days before the last day. Selection is one query per stage, smallest first:
the contracts ending within the stage, not followed by a later contract of the account (renewed),
and not yet reminded at this stage or a closer one. A `ContractReminder` row per (contract, stage)
is written with the email under a unique constraint, so a second run, or two workers at once,
send nothing twice. The email goes to the account's super user and its users with the
Administrative right, each in their own language.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import User

from ..models import Contract, ContractReminder

STAGES = (7, 30, 60)  # days before the end, smallest first


def due(today: datetime.date, stage: int) -> QuerySet[Contract]:
    """Contracts to remind at `stage` (days before their end) on `today`: set-based, one query."""
    renewed = Contract.objects.filter(account=OuterRef("account"), ends_on__gt=OuterRef("ends_on"))
    closer = ContractReminder.objects.filter(contract=OuterRef("pk"), days_before__lte=stage)
    return (
        Contract.objects.filter(ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=stage))
        .filter(starts_on__lte=today)
        .exclude(Exists(renewed))
        .exclude(Exists(closer))
        .select_related("account")
        .order_by("ends_on", "pk")
    )


def recipients(contract: Contract) -> list[User]:
    return list(
        User.objects.filter(account=contract.account, is_active=True)
        .filter(Q(is_account_superuser=True) | Q(right_administrative=True))
        .exclude(email="")
        .order_by("pk")
    )


def _send(contract: Contract, today: datetime.date) -> None:
    url = settings.SITE_URL + reverse("contracts:contract")
    by_language: dict[str, list[str]] = {}
    for user in recipients(contract):
        by_language.setdefault(user.language or contract.account.language, []).append(user.email)
    for language, emails in by_language.items():
        with translation.override(language):
            ends_on = formats.date_format(contract.ends_on)
        send_mail_on_commit(
            "contract_end_reminder",
            emails,
            {
                "account_name": contract.account.name,
                "reference": contract.reference,
                "ends_on": ends_on,
                "days": (contract.ends_on - today).days,
                "contract_url": url,
            },
            language,
        )


def send_reminders(today: datetime.date | None = None) -> int:
    """Send the reminders due today; returns how many contracts were reminded."""
    today = today or timezone.localdate()
    sent = 0
    for stage in STAGES:
        for contract in list(due(today, stage)):
            try:
                with transaction.atomic():
                    ContractReminder.objects.create(contract=contract, days_before=stage)
                    log_action(
                        "contract.end_reminder_sent",
                        account=contract.account,
                        obj=contract,
                        reference=contract.reference,
                        days_before=stage,
                    )
                    _send(contract, today)
            except IntegrityError:
                continue  # another run sent it meanwhile
            sent += 1
    return sent
