"""CON-1: how orders count toward a contract's objectives, registered with contracts at start-up
(contracts sits below orders and never imports it)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Account

from .models import Order, OrderStatus

# Cancelled orders and orders that came to nothing do not count toward an objective.
NOT_COUNTED = (
    OrderStatus.CANCELLED,
    OrderStatus.CANCELLED_REFUNDED,
    OrderStatus.NO_FOLLOWUP_AWAITING_FEE,
    OrderStatus.NO_FOLLOWUP_FEE_PAID,
)


def _bounds(span: tuple[datetime.date, datetime.date]) -> Q:
    first, last = span
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    return Q(created_at__gte=start, created_at__lt=end)


def order_totals(
    account: Account, spans: Sequence[tuple[datetime.date, datetime.date]]
) -> list[tuple[int, Decimal]]:
    """The number of orders and their amount excl. VAT placed in each inclusive date span, test
    products and cancelled orders aside (one query for every span)."""
    aggregates: dict[str, Count | Sum] = {}
    for index, span in enumerate(spans):
        condition = _bounds(span)
        aggregates[f"n{index}"] = Count("id", filter=condition)
        aggregates[f"a{index}"] = Sum("price_excl_vat", filter=condition)
    row = (
        Order.objects.filter(account=account, product__is_test=False)
        .exclude(status__in=NOT_COUNTED)
        .aggregate(**aggregates)
    )
    return [(row[f"n{i}"] or 0, row[f"a{i}"] or Decimal("0")) for i in range(len(spans))]
