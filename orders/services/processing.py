"""Staff processing of an order in the back office (STAFF-2): the status moves of the audit.

Each move names the statuses it starts from, a subset of what TRANSITIONS allows chosen so that no
staff button skips the customer's approval or payment (payment moves an order through
`record_payment`, approval through `approval.approve_order`). Every move is audited as a staff
action by `lifecycle.move`, with the staff member's note.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

from ..models import TRANSITIONS, Order, OrderStatus
from .lifecycle import IllegalTransition, lock_order, move

S = OrderStatus


@dataclass(frozen=True)
class StaffMove:
    code: str
    label: Promise
    target: str
    sources: frozenset[str]

    def allowed_from(self, status: str) -> bool:
        return status in self.sources and self.target in TRANSITIONS.get(status, set())


STAFF_MOVES: dict[str, StaffMove] = {
    move.code: move
    for move in [
        StaffMove(
            "verification",
            gettext_lazy("Start or resume the verification"),
            S.UNDER_VERIFICATION,
            frozenset({S.QUOTE_SIGNED, S.AWAITING_DCV, S.DORMANT}),
        ),
        StaffMove(
            "awaiting_dcv",
            gettext_lazy("Audit done: awaiting domain validation"),
            S.AWAITING_DCV,
            frozenset({S.QUOTE_SIGNED, S.PROCESSING_AWAITING_PAYMENT, S.UNDER_VERIFICATION, S.DORMANT}),
        ),
        StaffMove(
            "dormant",
            gettext_lazy("Put dormant (documents missing)"),
            S.DORMANT,
            frozenset({S.PROCESSING_AWAITING_PAYMENT, S.UNDER_VERIFICATION, S.AWAITING_DCV}),
        ),
        StaffMove(
            "no_followup",
            gettext_lazy("No follow-up: awaiting the cancellation fee"),
            S.NO_FOLLOWUP_AWAITING_FEE,
            frozenset(
                {
                    S.QUOTE_SIGNED,
                    S.PROCESSING_AWAITING_PAYMENT,
                    S.UNDER_VERIFICATION,
                    S.AWAITING_DCV,
                    S.DORMANT,
                }
            ),
        ),
        StaffMove(
            "fee_paid",
            gettext_lazy("Cancellation fee paid"),
            S.NO_FOLLOWUP_FEE_PAID,
            frozenset({S.NO_FOLLOWUP_AWAITING_FEE}),
        ),
        StaffMove(
            "quote_signed", gettext_lazy("Quote signed by the customer"), S.QUOTE_SIGNED, frozenset({S.QUOTE})
        ),
    ]
}


def staff_moves_for(order: Order) -> list[StaffMove]:
    """The moves the back office offers for the order's current status."""
    return [m for m in STAFF_MOVES.values() if m.allowed_from(order.status)]


def staff_move(
    order: Order, code: str, *, user: User, request: HttpRequest | None = None, note: str = ""
) -> Order:
    """STAFF-2: apply one staff move under the order's lock; the handler becomes the staff member if
    the order had none. Refused with IllegalTransition when the status no longer allows it."""
    if not user.is_staff:
        raise PermissionError("staff only")
    staff_step = STAFF_MOVES[code]
    with transaction.atomic():
        locked = lock_order(order)
        if not staff_step.allowed_from(locked.status):
            raise IllegalTransition(
                locked,
                message=_("“%(action)s” is not possible for order %(reference)s while it is “%(status)s”.")
                % {
                    "action": staff_step.label,
                    "reference": locked.reference,
                    "status": S(locked.status).label,
                },
            )
        if not locked.handler_name:
            locked.handler_name = user.get_full_name() or user.username
            locked.save(update_fields=["handler_name"])
        move(
            locked, staff_step.target, user=user, request=request, note=note.strip() or str(staff_step.label)
        )
    return locked
