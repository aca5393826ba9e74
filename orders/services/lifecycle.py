"""An order's life (LIFE-1): explicit, audited status transitions, and payments (STAFF-2).

Every move takes the order's row lock inside a transaction, re-checks the status under the lock
and writes an "order.status_changed" audit event naming who did it (staff flagged by log_action).
A move to the status the order already has is illegal too: no status lists itself in
`TRANSITIONS`, and a repeated move means a lost race the caller must hear about. Services that
must be idempotent (record_payment, issue_certificate) check the state under the lock first.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User

from ..models import CLOSED, TRANSITIONS, Order, OrderStatus

S = OrderStatus

# STAFF-2: where a recorded payment moves an unpaid order. Statuses not listed keep theirs.
PAYMENT_MOVES: dict[str, str] = {
    S.AWAITING_PAYMENT: S.UNDER_VERIFICATION,
    S.PROCESSING_AWAITING_PAYMENT: S.UNDER_VERIFICATION,
    S.DELIVERED_NOT_PAID: S.DELIVERED_PAID,
    S.DELIVERED_NOT_INVOICED: S.DELIVERED_PAID,
}
# An order waiting for approval or a quote signature, or closed, takes no payment.
NOT_PAYABLE = {S.AWAITING_APPROVAL, S.QUOTE, *CLOSED}


class IllegalTransition(Exception):  # noqa: N818 (the name the rest of the code reads)
    """LIFE-1: the order cannot make this move (or take this action) in its current status."""

    def __init__(self, order: Order, to_status: str | None = None, message: str | None = None):
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


def move(locked: Order, to_status: str, *, user: User | None, request=None, note: str = "") -> Order:
    """Apply one LIFE-1 transition to an order already locked by the caller, and audit it."""
    if to_status not in TRANSITIONS.get(locked.status, set()):
        raise IllegalTransition(locked, to_status)
    from_status = locked.status
    locked.status = to_status
    locked.save(update_fields=["status"])
    log_action(
        "order.status_changed",
        obj=locked,
        user=user,
        request=request,
        **{"from": from_status, "to": to_status, "note": note},
    )
    return locked


def transition(
    order: Order, to_status: str, *, user: User | None = None, request=None, note: str = ""
) -> Order:
    """LIFE-1: move `order` to `to_status` if TRANSITIONS allows it, else raise IllegalTransition.

    Returns the order as saved under the lock (the caller's instance may be stale).
    """
    with transaction.atomic():
        locked = lock_order(order)
        return move(locked, to_status, user=user, request=request, note=note)


def record_payment(order: Order, *, user: User, reference: str = "", request=None) -> Order:
    """STAFF-2: record that the order is paid; awaiting payment → under verification.

    Idempotent: an order already paid is returned unchanged, without a second audit event.
    Its invoice is marked paid in the same transaction (orders.services.payment.invoice_paid).
    """
    with transaction.atomic():
        locked = lock_order(order)
        if locked.paid_at is not None:
            return locked
        if locked.status in NOT_PAYABLE:
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s cannot take a payment while it is “%(status)s”.")
                % {"reference": locked.reference, "status": S(locked.status).label},
            )
        locked.paid_at = timezone.now()
        locked.payment_reference = reference.strip()[:100]
        if not locked.handler_name and user is not None and user.is_staff:
            locked.handler_name = user.get_full_name() or user.username
        locked.save(update_fields=["paid_at", "payment_reference", "handler_name"])
        log_action(
            "order.payment_recorded",
            obj=locked,
            user=user,
            request=request,
            reference=locked.payment_reference,
            amount=str(locked.price_incl_vat),
        )
        # ACCT-3 (h19): the order's invoice is marked paid (or issued paid when it has none).
        from .payment import invoice_paid  # payment imports billing and this app's models only

        invoice_paid(locked, user=user, reference=locked.payment_reference)
        if locked.status in PAYMENT_MOVES:
            move(locked, PAYMENT_MOVES[locked.status], user=user, request=request, note=_("Payment recorded"))
        # ORD-8: a paid server order whose domains are not all validated waits in "awaiting DCV".
        from .dcv import refresh_order_dcv_state  # dcv imports this module

        return refresh_order_dcv_state(locked, user=user, request=request)


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus whole calendar months, the day clamped to the month's last (31 Jan + 1 = 28/29 Feb)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def subscription_end(order: Order) -> datetime:
    """LIFE-9: the end of the subscription bought, from payment (or order) date plus the period.

    The connector caps each certificate's own lifetime by the CA/B Forum schedule; the
    subscription may outlive it and is then covered by free reissues.
    """
    return add_months(order.paid_at or order.created_at, order.period_months)
