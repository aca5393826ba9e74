"""An order's status moves (LIFE-1): explicit, audited transitions under the order's row lock.

Every move takes the order's row lock inside a transaction, re-checks the status under the lock
and writes an "order.status_changed" audit event naming who did it (staff flagged by log_action).
A move to the status the order already has is illegal too: no status lists itself in
`TRANSITIONS`, and a repeated move means a lost race the caller must hear about.

The lowest module of the order workflows: `lifecycle` (payments), `dcv` and the other services
build on it, and it imports none of them (no import cycle inside orders.services).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User

from ..models import CLOSED, TRANSITIONS, Order, OrderStatus

S = OrderStatus

# STAFF-2: an order waiting for approval or a quote signature, or closed, takes no payment.
NOT_PAYABLE = {S.AWAITING_APPROVAL, S.QUOTE, *CLOSED}


class IllegalTransition(Exception):  # noqa: N818 (the name the rest of the code reads)
    """LIFE-1: the order cannot make this move (or take this action) in its current status."""

    def __init__(self, order: Order, to_status: str | None = None, message: str | None = None) -> None:
        self.order = order
        self.from_status = order.status
        self.to_status = to_status
        if message is None:
            message = _("Order %(reference)s cannot go from “%(from)s” to “%(to)s”.") % {
                "reference": order.reference,
                "from": S(order.status).label,
                "to": S(to_status).label if to_status in S.values else to_status,
            }
        self.message = message
        super().__init__(message)


def lock_order(order: Order) -> Order:
    """The order reloaded under its row lock; call inside transaction.atomic()."""
    return Order.objects.select_for_update().get(pk=order.pk, account_id=order.account_id)


def move(
    locked: Order, to_status: str, *, user: User | None, request: HttpRequest | None = None, note: str = ""
) -> Order:
    """Apply one LIFE-1 transition to an order already locked by the caller, and audit it."""
    if to_status not in TRANSITIONS.get(locked.status, set()):
        raise IllegalTransition(locked, to_status)
    from_status = locked.status
    locked.status = to_status
    locked.save(update_fields=["status"])
    details: dict[str, Any] = {"from": from_status, "to": to_status, "note": note}  # "from" is a keyword
    log_action("order.status_changed", obj=locked, user=user, request=request, **details)
    return locked


def transition(
    order: Order,
    to_status: str,
    *,
    user: User | None = None,
    request: HttpRequest | None = None,
    note: str = "",
) -> Order:
    """LIFE-1: move `order` to `to_status` if TRANSITIONS allows it, else raise IllegalTransition.

    Returns the order as saved under the lock (the caller's instance may be stale).
    """
    with transaction.atomic():
        locked = lock_order(order)
        return move(locked, to_status, user=user, request=request, note=note)
