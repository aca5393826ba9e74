"""Scheduled work of the orders app (PLAT-2: every job idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.audit import log_action
from jobs.recorder import recorded_job

from .models import Certificate

BATCH = 500


@shared_task(name="orders.tasks.mark_expired_certificates")
@recorded_job("Expired certificates")
def mark_expired_certificates() -> int:
    """Mark valid certificates past their notAfter as expired; returns how many changed.

    Idempotent: only certificates still "valid" are touched, each under its row lock, so a retry
    or a second worker finds nothing left to do and writes no second audit event.
    """
    now = timezone.now()
    changed = 0
    # Expiry is a property of time, not of one tenant: the job walks every account's certificates.
    with scopes_disabled():
        while True:
            with transaction.atomic():
                batch = list(
                    Certificate.objects.select_for_update(skip_locked=True)
                    .filter(state=Certificate.State.VALID, not_after__lte=now)
                    .order_by("pk")[:BATCH]
                )
                if not batch:
                    return changed
                Certificate.objects.filter(pk__in=[c.pk for c in batch]).update(
                    state=Certificate.State.EXPIRED
                )
                for certificate in batch:
                    log_action(
                        "certificate.expired",
                        obj=certificate,
                        serial=certificate.serial,
                        not_after=certificate.not_after.isoformat(),
                    )
                changed += len(batch)
