"""An order's life (LIFE-1): status transitions (from `transitions`), payments (STAFF-2), dates.

The moves themselves live in `transitions`, which imports no other workflow module, so `dcv` can
use them while `record_payment` here hands a paid order on to `dcv`. Services that must be
idempotent (record_payment, issue_certificate) check the state under the lock first.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User
from billing.models import Document

from ..models import Order, OrderStatus
from .dcv import refresh_order_dcv_state
from .transitions import NOT_PAYABLE, IllegalTransition, lock_order, move, transition

__all__ = ["IllegalTransition", "invoice_settled", "lock_order", "move", "record_payment", "transition"]

S = OrderStatus

# STAFF-2: where a recorded payment moves an unpaid order. Statuses not listed keep theirs.
PAYMENT_MOVES: dict[str, str] = {
    S.AWAITING_PAYMENT: S.UNDER_VERIFICATION,
    S.PROCESSING_AWAITING_PAYMENT: S.UNDER_VERIFICATION,
    S.DELIVERED_NOT_PAID: S.DELIVERED_PAID,
    S.DELIVERED_NOT_INVOICED: S.DELIVERED_PAID,
}


def record_payment(
    order: Order, *, user: User | None, reference: str = "", request: HttpRequest | None = None
) -> Order:
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
        return refresh_order_dcv_state(locked, user=user, request=request)


def invoice_settled(
    invoice: Document, user: User | None, reference: str, request: HttpRequest | None = None
) -> None:
    """ACCT-3, ORD-9: receipts (a transfer, a cheque, a card payment) paid the invoice of an order:
    the order is paid as if staff recorded it (registered with billing in orders.apps; runs in the
    receipt's transaction, after the invoice's row lock). An order that takes no payment is left."""
    if not invoice.source_reference:
        return
    order = Order.objects.filter(account_id=invoice.account_id, reference=invoice.source_reference).first()
    if order is None or order.paid_at is not None or order.status in NOT_PAYABLE:
        return
    record_payment(order, user=user, reference=reference, request=request)


def lock_invoiced_order(invoice: Document) -> None:
    """Lock the order `invoice` bills (if any) before a receipt locks the invoice: every path locks
    the order first, then its invoice, so two payments of one order never deadlock."""
    if invoice.source_reference:
        Order.objects.select_for_update().filter(
            account_id=invoice.account_id, reference=invoice.source_reference
        ).values_list("pk", flat=True).first()


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
