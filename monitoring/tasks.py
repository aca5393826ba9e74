"""Scheduled work of monitoring (JOBS-3): each idempotent, each run recorded (jobs.JobRun)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from jobs.recorder import Outcome, recorded_job

from .jobs import run_post_issuance_checks


@shared_task(name="monitoring.tasks.post_issuance_checks")
@recorded_job("JOBS-3 installation check after delivery")
def post_issuance_checks(now: str | None = None) -> Outcome:
    """JOBS-3: test the installation of certificates delivered a few days ago; email when not green."""
    return run_post_issuance_checks(datetime.fromisoformat(now) if now else timezone.now())


@shared_task(name="monitoring.tasks.scan_due")
@recorded_job("JOBS-4 monitoring scans")
def scan_due(now: str | None = None) -> Outcome:
    """JOBS-4: enrol new certificates, then scan the endpoints due by their frequency (MON-3)."""
    from .scanning import scan_due as run

    return run(datetime.fromisoformat(now) if now else timezone.now())
