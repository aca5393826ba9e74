"""Scheduled work of the contracts app (JOBS-8: contract end reminders; PLAT-2: idempotent)."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from .services.reminders import send_reminders


@shared_task(name="contracts.tasks.send_contract_end_reminders")
def send_contract_end_reminders() -> int:
    """JOBS-8: remind accounts of contracts ending soon; a second run the same day sends nothing."""
    # Contracts of every account come to their end: the job works across accounts.
    with scopes_disabled():
        return send_reminders()
