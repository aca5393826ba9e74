"""Builders for the robots' tests (JOBS-1..8): delivered orders whose certificate has chosen dates."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from orders.models import Certificate, Order
from tests.support.lifecycle import delivered_order


def dated_order(
    account,
    product,
    *,
    issued_days_ago: int,
    lifetime_days: int,
    ordered_days_ago: int | None = None,
    **fields,
) -> Order:
    """A delivered order (real certificate of the embedded CA) whose certificate's dates and the
    order's payment date are moved back in time as asked (the subscription counts from payment)."""
    order = delivered_order(account, product, **fields)
    now = timezone.now()
    ordered = now - timedelta(days=ordered_days_ago if ordered_days_ago is not None else issued_days_ago)
    Order.objects.filter(pk=order.pk).update(
        created_at=ordered, paid_at=ordered, delivered_at=now - timedelta(days=issued_days_ago)
    )
    certificate = order.certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(
        not_before=now - timedelta(days=issued_days_ago),
        not_after=now - timedelta(days=issued_days_ago) + timedelta(days=lifetime_days),
        created_at=now - timedelta(days=issued_days_ago),
    )
    order.refresh_from_db()
    return order
