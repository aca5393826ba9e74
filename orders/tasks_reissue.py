"""Scheduled work of reissues (ORD-11, PLAT-2: idempotent)."""

from __future__ import annotations

from celery import shared_task

from jobs.recorder import recorded_job

from .services.reissue import revoke_scheduled, send_revocation_emails


@shared_task(name="orders.tasks_reissue.revoke_scheduled_certificates")
@recorded_job("Scheduled revocations")
def revoke_scheduled_certificates() -> int:
    """Revoke the replaced certificates whose grace delay is over, on every account (the service
    opens `scopes_disabled` itself: grace delays end across tenants). Returns how many."""
    return revoke_scheduled()


@shared_task(name="orders.tasks_reissue.send_scheduled_revocation_emails")
def send_scheduled_revocation_emails(certificate_ids: list[int]) -> int:
    """LIFE-5 emails of the certificates `revoke_scheduled` revoked (queued once per run)."""
    return send_revocation_emails(certificate_ids)
