"""LIFE-6 money side: cancellation fee by audit progress, deposit coupon, credit note, tokens given
back, monthly charge withdrawn (orders.services.payment.refund_cancelled through cancel_order)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.models import Coupon, Document, DocumentKind, DocumentStatus, PendingCharge
from billing.services.ledger import credit_euros, credit_tokens, euro_balance, token_balance
from orders.models import Order, OrderStatus
from orders.services.actions import cancel_order
from orders.services.lifecycle import record_payment, transition
from orders.services.ordering import submit_order
from orders.services.payment import CANCELLATION_FEE_RATES, cancellation_fee_rate, plan_payment
from tests.factories import make_csr, make_key
from tests.support.orders import contacts_of

S = OrderStatus


def place(account: Account, product, user, method: str, **choice) -> Order:
    holder, admin, tech = contacts_of(account)
    plan = plan_payment(account, product, 12, Decimal("120.00"), method=method, **choice)
    return submit_order(
        account=account,
        user=user,
        product=product,
        period_months=12,
        organisation=holder,
        admin_contact=admin,
        technical_contact=tech,
        common_name="www.acme.test",
        sans=[],
        csr=make_csr("www.acme.test", [], key=make_key("p256")),
        dcv_method="dns",
        server_software="apache",
        payment=plan,
    )


def invoice_of(order: Order) -> Document:
    return Document.objects.get(source_reference=order.reference, kind=DocumentKind.INVOICE)


def credit_note_of(order: Order) -> Document:
    return Document.objects.get(source_reference=order.reference, kind=DocumentKind.CREDIT_NOTE)


def test_fee_rates_are_defined_in_one_place():
    assert cancellation_fee_rate(S.AWAITING_PAYMENT) == 0
    assert cancellation_fee_rate(S.PROCESSING_AWAITING_PAYMENT) == 0
    for status in (S.UNDER_VERIFICATION, S.AWAITING_DCV, S.DORMANT):
        assert cancellation_fee_rate(status) == CANCELLATION_FEE_RATES[status] == Decimal("20")


@pytest.mark.django_db
def test_unpaid_card_order_fully_credited_no_coupon(account, product, tech):
    order = place(account, product, tech, "card")
    cancelled = cancel_order(order, "No longer needed", user=tech)
    assert cancelled.status == S.CANCELLED
    assert credit_note_of(order).total_incl_vat == Decimal("-144.00")
    assert invoice_of(order).status == DocumentStatus.CANCELLED
    assert not Coupon.objects.exists()


@pytest.mark.django_db
def test_paid_order_under_verification_gets_coupon_less_fee(account, product, tech, staff):
    order = place(account, product, tech, "transfer")
    record_payment(order, user=staff, reference="VIR-1")
    cancelled = cancel_order(order, "Changed our mind", user=tech)
    cancel_order(order, "Changed our mind", user=tech)  # idempotent
    assert cancelled.status == S.CANCELLED_REFUNDED
    # 120.00 excl. VAT, fee 20 % = 24.00 kept: 96.00 credited, 115.20 incl. VAT.
    note = credit_note_of(order)
    assert note.total_excl_vat == Decimal("-96.00") and note.total_incl_vat == Decimal("-115.20")
    coupon = Coupon.objects.get(origin_reference=order.reference)
    assert coupon.amount == Decimal("115.20")
    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1


@pytest.mark.django_db
def test_token_order_gets_its_token_back(account, product, tech):
    account.formula = Account.Formula.BULK
    account.save(update_fields=["formula"])
    credit_tokens(account, product, 2, reference="TOPUP-1")
    order = place(account, product, tech, "tokens")
    assert token_balance(account, product) == 1
    cancel_order(order, "Wrong product", user=tech)
    assert token_balance(account, product) == 2
    assert not Coupon.objects.exists()


@pytest.mark.django_db
def test_balance_order_credited_and_refunded_as_coupon(account, product, tech):
    account.formula = Account.Formula.CURRENT
    account.save(update_fields=["formula"])
    credit_euros(account, Decimal("300.00"), reference="TOPUP-1")
    order = place(account, product, tech, "balance")
    assert euro_balance(account) == Decimal("180.00")
    cancel_order(order, "Wrong product", user=tech)
    assert credit_note_of(order).total_incl_vat == Decimal("-115.20")
    assert Coupon.objects.get(origin_reference=order.reference).amount == Decimal("115.20")


@pytest.mark.django_db
def test_monthly_charge_withdrawn(account, product, tech):
    account.formula = Account.Formula.MONTHLY
    account.save(update_fields=["formula"])
    order = place(account, product, tech, "monthly")
    cancel_order(order, "Not needed", user=tech)
    assert PendingCharge.objects.get(reference=order.reference).withdrawn_at is not None


@pytest.mark.django_db
def test_unpaid_order_under_verification_keeps_the_fee_due(account, product, tech, staff):
    order = place(account, product, tech, "card")
    transition(order, S.UNDER_VERIFICATION, user=staff)
    cancel_order(order, "Stop", user=tech)
    assert credit_note_of(order).total_excl_vat == Decimal("-96.00")
    invoice = invoice_of(order)
    assert invoice.status == DocumentStatus.ISSUED  # 24.00 + VAT stay due: the fee
    assert not Coupon.objects.exists()
