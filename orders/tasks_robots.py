"""The robots of orders (JOBS-1, JOBS-2, JOBS-5, JOBS-6): each idempotent, each run recorded (jobs.JobRun).

Every task takes an optional ISO datetime `now` so a missed night can be replayed by hand.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from jobs.recorder import Outcome, recorded_job

from .services import auto_renewal, reissue_list, reminders


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="orders.tasks_robots.reissue_list")
@recorded_job("JOBS-1 recommended reissue list")
def rebuild_reissue_list(now: str | None = None) -> Outcome:
    """JOBS-1 nightly: rebuild the recommended reissue list (ORD-13), then email it once per row."""
    moment = _now(now)
    outcome = reissue_list.rebuild(moment)
    emailed = reissue_list.notify(moment)
    outcome.details["emailed"] = emailed
    return outcome


@shared_task(name="orders.tasks_robots.auto_renewals")
@recorded_job("JOBS-2 automatic renewals")
def file_auto_renewals(now: str | None = None) -> Outcome:
    """JOBS-2 daily: file the automatic renewals due (ORD-14)."""
    return auto_renewal.file_due(_now(now))


@shared_task(name="orders.tasks_robots.expiry_reminders")
@recorded_job("JOBS-5 expiry reminders")
def expiry_reminders(now: str | None = None) -> Outcome:
    """JOBS-5 daily: 90/60/30/7-day reminders of certificates not renewed automatically."""
    return reminders.send_expiry_reminders(_now(now))


@shared_task(name="orders.tasks_robots.acceptance")
@recorded_job("JOBS-6 Certigna acceptance")
def certigna_acceptance(now: str | None = None) -> Outcome:
    """JOBS-6 daily: acceptance warnings, then revocation 30 days after delivery."""
    return reminders.enforce_acceptance(_now(now))
