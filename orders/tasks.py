"""Scheduled work of the orders app (PLAT-2: every job idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.db.models import CharField, F
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.audit import log_actions_for
from jobs.recorder import recorded_job

from .models import Certificate
from .services.bulk import lock_rows, serialise
from .services.listing import forget_all_counts


@shared_task(name="orders.tasks.mark_expired_certificates")
@recorded_job("Expired certificates")
def mark_expired_certificates() -> int:
    """Mark valid certificates past their notAfter as expired; returns how many changed.

    Set-based (issue 17): the rows are locked, audited by one INSERT … SELECT and changed by one
    UPDATE, so the job costs the same few queries for 1 or 100,000 certificates. Idempotent: only
    certificates still "valid" are touched, two runs are serialised (`serialise`), so a retry or
    a second worker finds nothing left to do and writes no second audit event.
    """
    now = timezone.now()
    # Expiry is a property of time, not of one tenant: the job walks every account's certificates.
    with scopes_disabled(), transaction.atomic():
        serialise("orders.mark_expired_certificates")
        due = Certificate.objects.filter(state=Certificate.State.VALID, not_after__lte=now)
        if not lock_rows(due):
            return 0
        log_actions_for(
            due,
            "certificate.expired",
            object_type="certificate",
            object_id=Cast("id", CharField()),
            details=JSONObject(serial=F("serial"), not_after=F("not_after")),
            when=now,
        )
        changed = due.update(state=Certificate.State.EXPIRED)
    forget_all_counts()
    return changed


@shared_task(name="orders.tasks.issue_upstream")
def issue_upstream(order_id: int) -> str:
    """AUTO-4 [beyond]: issue an order at its brand's outside ACME CA (queued through the outbox by
    orders.services.upstream.request_issuance; a no-op unless that issuance is still queued)."""
    from .services.upstream import run_issuance

    return run_issuance(order_id)


@shared_task(name="orders.tasks.revoke_at_upstream_ca")
def revoke_at_upstream_ca(certificate_ids: list[int], reason: str) -> int:
    """AUTO-4 [beyond], ORD-11: scheduled revocations of an outside CA's certificates, told to that CA
    (queued by orders.services.reissue.revoke_scheduled; retried by the outbox while the CA is down)."""
    from .services.upstream import revoke_at_ca

    return revoke_at_ca(certificate_ids, reason)
