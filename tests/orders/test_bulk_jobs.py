"""Issue 17: the beat jobs mark_expired and revoke_scheduled are set-based: their number of queries
does not grow with the rows (compared at two backlog sizes, never timed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from orders.ca.embedded import EmbeddedCA
from orders.models import Certificate, OrderStatus
from orders.services.reissue import revoke_scheduled
from orders.tasks import mark_expired_certificates
from tests.orders.test_order_lists_search import add_certificate, quick_order


def backlog(account, product, count: int, **fields) -> list[Certificate]:
    made = []
    for _ in range(count):
        order = quick_order(account, product, "job.acme.test", status=OrderStatus.DELIVERED_PAID)
        certificate = add_certificate(order)
        Certificate.objects.filter(pk=certificate.pk).update(**fields)
        made.append(certificate)
    return made


def queries(job) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = job()
    return result, len(ctx.captured_queries)


@pytest.mark.django_db
def test_mark_expired_costs_the_same_queries_for_3_and_12_rows(account, other_account, product):
    past = timezone.now() - timedelta(days=1)
    backlog(account, product, 3, not_after=past)
    small = queries(mark_expired_certificates)
    backlog(account, product, 8, not_after=past)
    backlog(other_account, product, 4, not_after=past)
    large = queries(mark_expired_certificates)
    assert small[0] == 3 and large[0] == 12
    assert small[1] == large[1]
    events = AuditEvent.objects.filter(action="certificate.expired")
    assert events.count() == 15
    event = events.filter(account=other_account).first()
    certificate = Certificate.objects.get(pk=int(event.object_id))
    assert event.object_type == "certificate" and event.actor_name == "system"
    assert event.details["serial"] == certificate.serial and certificate.state == "expired"
    assert mark_expired_certificates() == 0  # idempotent: nothing left, no second event
    assert AuditEvent.objects.filter(action="certificate.expired").count() == 15


@pytest.mark.django_db
def test_revoke_scheduled_costs_the_same_queries_for_3_and_12_rows(
    account, product, mailoutbox, django_capture_on_commit_callbacks
):
    _root, issuing = EmbeddedCA().authorities(product.brand)
    due = timezone.now() - timedelta(minutes=1)
    later = timezone.now() + timedelta(days=3)
    backlog(account, product, 3, issuer=issuing, revoke_scheduled_at=due)
    backlog(account, product, 2, issuer=issuing, revoke_scheduled_at=later)  # not due yet
    small = queries(revoke_scheduled)
    backlog(account, product, 12, issuer=issuing, revoke_scheduled_at=due)
    with django_capture_on_commit_callbacks(execute=True):
        large = queries(revoke_scheduled)
    assert small[0] == 3 and large[0] == 12
    assert small[1] == large[1]
    assert Certificate.objects.filter(state="revoked", revocation_reason="superseded").count() == 15
    assert Certificate.objects.filter(state="valid").count() == 2
    event = AuditEvent.objects.filter(action="certificate.revoked").first()
    assert event.object_type == "order" and event.details["reason"] == "superseded"
    assert len([m for m in mailoutbox if "revoked" in m.subject.lower()]) == 12
    assert revoke_scheduled() == 0
