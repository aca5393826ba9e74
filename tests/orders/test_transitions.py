"""LIFE-1: explicit transitions, audited with who did them; illegal moves refused. STAFF-2 payments."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from orders.models import TRANSITIONS, Order, OrderStatus
from orders.services import IllegalTransition, issue_certificate, record_payment, transition
from tests.support.orders import make_order

S = OrderStatus
LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [
    (S.AWAITING_PAYMENT, S.DELIVERED_PAID),
    (S.AWAITING_APPROVAL, S.DELIVERED_NOT_PAID),
    (S.DELIVERED_PAID, S.CANCELLED),
    (S.CANCELLED, S.AWAITING_PAYMENT),
    (S.CANCELLED_REFUNDED, S.UNDER_VERIFICATION),
    (S.NO_FOLLOWUP_FEE_PAID, S.NO_FOLLOWUP_AWAITING_FEE),
    (S.QUOTE, S.UNDER_VERIFICATION),
    (S.DELIVERED_NOT_PAID, S.DELIVERED_NOT_INVOICED),
    (S.AWAITING_PAYMENT, S.AWAITING_PAYMENT),  # same status: a repeated move is refused too
]


def status_events(order):
    return AuditEvent.objects.filter(action="order.status_changed", object_id=order.reference)


def test_every_status_has_its_transitions():
    assert set(TRANSITIONS) == set(S)
    assert len(LEGAL) > 30


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_each_legal_transition_succeeds_and_is_audited(account, product, owner, source, target):
    order = make_order(account, product, status=source)
    moved = transition(order, target, user=owner, note="why")
    assert moved.status == target
    assert Order.objects.get(pk=order.pk).status == target
    event = status_events(order).get()
    assert event.details == {"from": source, "to": target, "note": "why"}
    assert event.user == owner and event.actor_name == owner.get_full_name()
    assert event.account == account and not event.is_staff_action


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_illegal_transitions_are_refused(account, product, owner, source, target):
    order = make_order(account, product, status=source)
    with pytest.raises(IllegalTransition) as refused:
        transition(order, target, user=owner)
    assert refused.value.from_status == source and refused.value.to_status == target
    assert order.reference in refused.value.message
    assert Order.objects.get(pk=order.pk).status == source
    assert not status_events(order).exists()


@pytest.mark.django_db
def test_transition_rechecks_the_status_under_the_lock(account, product, owner):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    stale = Order.objects.get(pk=order.pk)
    transition(order, S.CANCELLED, user=owner)
    # The stale copy still says "awaiting payment", but the row is cancelled: refused.
    with pytest.raises(IllegalTransition):
        transition(stale, S.UNDER_VERIFICATION, user=owner)


@pytest.mark.django_db
def test_staff_transition_is_flagged_as_staff(account, product, staff):
    order = make_order(account, product, status=S.UNDER_VERIFICATION)
    transition(order, S.DORMANT, user=staff)
    event = status_events(order).get()
    assert event.is_staff_action and event.user == staff and event.account == account


@pytest.mark.django_db
def test_record_payment_moves_to_verification_once(account, product, staff):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    paid = record_payment(order, user=staff, reference="VIR-1")
    assert paid.status == S.UNDER_VERIFICATION and paid.paid_at is not None
    assert paid.payment_reference == "VIR-1" and paid.handler_name
    again = record_payment(order, user=staff, reference="VIR-2")
    assert again.paid_at == paid.paid_at and again.payment_reference == "VIR-1"
    assert AuditEvent.objects.filter(action="order.payment_recorded", object_id=order.reference).count() == 1
    assert status_events(order).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.AWAITING_APPROVAL, S.QUOTE, S.CANCELLED])
def test_record_payment_refused_before_approval_or_when_closed(account, product, staff, status):
    order = make_order(account, product, status=status)
    with pytest.raises(IllegalTransition):
        record_payment(order, user=staff)
    assert Order.objects.get(pk=order.pk).paid_at is None


@pytest.mark.django_db
def test_payment_of_a_delivered_order_marks_it_paid(account, product, staff):
    order = make_order(account, product, status=S.DELIVERED_NOT_PAID)
    assert record_payment(order, user=staff).status == S.DELIVERED_PAID


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.AWAITING_PAYMENT, S.AWAITING_APPROVAL, S.DELIVERED_PAID, S.CANCELLED])
def test_issue_refused_outside_issuable_statuses(account, product, staff, status):
    order = make_order(account, product, status=status)
    with pytest.raises(IllegalTransition):
        issue_certificate(order, user=staff)
    assert not order.certificates.exists()
