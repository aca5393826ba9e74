"""Issuing through a brand's outside ACME CA (AUTO-4 [beyond]) in a task, not in the request.

The outside CA answers in seconds or minutes, or not at all: the back office's "Issue" (and the
portal's ACME server) call `issue_or_queue`, which for such a brand checks the order as
`issue_certificate` does, records an UpstreamIssuance "queued" and enqueues `issue_upstream`
through the outbox (after the commit). The task (`run_issuance`) talks to the CA with no row lock
held, then stores the certificate under the order's lock exactly as the embedded path does
(orders.services.issuing.store_issued: Certificate row, delivered status, audit, delivery email).
What goes wrong (CA down, names refused, timeout) leaves the order where it was, the issuance
"failed" with its reason on the order's staff page, and "Issue" again retries. Idempotent: a
second request while one is queued changes nothing, and the task does nothing unless its
issuance is queued and the order still issuable.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.models import User
from outbox.queue import enqueue

from ..ca import AcmeClientCA, UpstreamError, get_connector
from ..csr import CsrError
from ..models import ISSUABLE, Certificate, Order, UpstreamIssuance
from .dcv import prepare_issuance
from .issuing import assert_issuable, connector_arguments, issue_certificate, store_issued
from .lifecycle import IllegalTransition, lock_order

logger = logging.getLogger(__name__)

TASK = "orders.tasks.issue_upstream"
State = UpstreamIssuance.State


def is_remote(order: Order) -> bool:
    return get_connector(order.product.brand).remote


def issue_or_queue(
    order: Order,
    *,
    user: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
    retry_failed: bool = True,
) -> Certificate | UpstreamIssuance:
    """STAFF-2 / AUTO-2: issue now through the embedded CA, or queue the issuance at the brand's
    outside CA. `retry_failed` False (the ACME server's polls) leaves a failed issuance to staff."""
    if not is_remote(order):
        return issue_certificate(order, user=user, request=request, now=now)
    return request_issuance(order, user=user, request=request, now=now, retry_failed=retry_failed)


def request_issuance(
    order: Order,
    *,
    user: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
    retry_failed: bool = True,
) -> UpstreamIssuance:
    """Queue the order's issuance at its brand's outside CA, once the order may be issued
    (assert_issuable: IllegalTransition otherwise). Audited as "order.upstream_requested"."""
    now = now or timezone.now()
    prepare_issuance(order, user=user, request=request, now=now)
    with transaction.atomic():
        locked = lock_order(order)
        assert_issuable(locked, now)
        issuance, created = UpstreamIssuance.objects.get_or_create(
            order=locked,
            defaults={"account_id": locked.account_id, "requested_by": user, "requested_at": now},
        )
        if not created and (issuance.state == State.QUEUED or not retry_failed):
            return issuance
        issuance.state = State.QUEUED
        issuance.requested_by = user
        issuance.requested_at = now
        issuance.finished_at = None
        issuance.save(update_fields=["state", "requested_by", "requested_at", "finished_at"])
        log_action(
            "order.upstream_requested",
            obj=locked,
            user=user,
            request=request,
            attempt=issuance.attempts + 1,
            previous_error=issuance.error,
        )
        enqueue(TASK, locked.pk)
    return issuance


def run_issuance(order_id: int, *, now: datetime | None = None) -> str:
    """The task's work: order at the outside CA, then store and deliver. Never raises for what the
    CA does: the issuance records it. Returns what happened (for the task's log and tests)."""
    with scopes_disabled():  # a task runs for any account
        order = Order.objects.select_related("product__brand").filter(pk=order_id).first()
        issuance = UpstreamIssuance.objects.filter(order_id=order_id).first()
        if order is None or issuance is None or issuance.state != State.QUEUED:
            return "nothing to do"
        user = issuance.requested_by
        if order.status not in ISSUABLE:
            _fail(issuance, order, _("the order is no longer waiting for its certificate"))
            return "failed"
        connector = get_connector(order.product.brand)
        UpstreamIssuance.objects.filter(pk=issuance.pk).update(attempts=F("attempts") + 1)
        now = now or timezone.now()
        try:
            if not connector.remote:  # the brand went back to the embedded CA meanwhile
                certificate = issue_certificate(order, user=user, now=now)
            else:
                issued = connector.issue(**connector_arguments(order, now))
                with transaction.atomic():
                    locked = lock_order(order)
                    assert_issuable(locked, now)
                    certificate = store_issued(locked, issued, user=user, now=now)
        except UpstreamError as exc:
            _fail(issuance, order, exc.message, order_url=exc.order_url)
            return "failed"
        except (CsrError, IllegalTransition) as exc:
            _fail(issuance, order, getattr(exc, "message", "") or str(exc))
            return "failed"
        except Exception as exc:  # a bug must not leave the order queued for ever: staff see it
            logger.exception("Upstream issuance of order %s failed", order_id)
            _fail(issuance, order, f"{type(exc).__name__}: {exc}")
            return "failed"
        UpstreamIssuance.objects.filter(pk=issuance.pk).update(
            state=State.DONE, error="", finished_at=timezone.now()
        )
        log_action("order.upstream_issued", obj=order, actor_name="system", serial=certificate.serial)
        return "issued"


def _fail(issuance: UpstreamIssuance, order: Order, reason: str, *, order_url: str = "") -> None:
    fields: dict[str, object] = {"state": State.FAILED, "error": reason[:2000], "finished_at": timezone.now()}
    if order_url:
        fields["acme_order_url"] = order_url[:500]
    UpstreamIssuance.objects.filter(pk=issuance.pk).update(**fields)
    log_action("order.upstream_failed", obj=order, actor_name="system", reason=reason[:500])


def revoke_at_ca(certificate_ids: list[int], reason: str) -> int:
    """ORD-11 scheduled revocations (already marked revoked here, set-based) told to the outside CA
    that issued them. Raises UpstreamError while the CA cannot be reached, so the outbox retries the
    task later; certificates the CA already revoked pass. Returns how many were sent."""
    sent = 0
    with scopes_disabled():  # a task runs for any account
        certificates = Certificate.objects.filter(pk__in=certificate_ids, issuer__isnull=True).select_related(
            "order__product__brand"
        )
        for certificate in certificates.order_by("pk"):
            connector = get_connector(certificate.order.product.brand)
            if not isinstance(connector, AcmeClientCA):
                logger.warning(
                    "Certificate %s: its brand has no outside CA any more; not revoked there.",
                    certificate.serial,
                )
                continue
            connector.revoke_at_ca(certificate, reason)
            sent += 1
    return sent
