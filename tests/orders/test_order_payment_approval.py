"""Issue 8 points 2 and 3: an approved order settles the payment chosen at order time (ORD-9,
ORD-5), and a total brought to 0 EUR by a promo code waits for nothing.

Approval with tokens, balance or monthly charge books exactly what an order placed without approval
books; when the holdings no longer cover it, the status page says so and offers the top-up and the
payment (LEDG-4). Refusals: the wrong right, another account, a payment still short.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, AuditEvent, Right
from billing.menu import badge_counts
from billing.models import Document, DocumentKind, DocumentStatus, PendingCharge, TokenMovement
from billing.services.ledger import (
    credit_euros,
    credit_tokens,
    debit_euros,
    debit_tokens,
    euro_balance,
    token_balance,
)
from billing.services.promos import issue_promo_code
from orders.models import Order, OrderStatus
from orders.services.approval import approve_order
from tests.factories import make_user
from tests.orders.test_order_payment import confirm, review_token, set_formula

S = OrderStatus
# form_data: 150.00 excl. VAT at the public price (tests.orders.test_order_payment).
PRICE = Decimal("150.00")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def approval_account(account):
    account.approval_mode = True
    account.save(update_fields=["approval_mode"])
    return account


@pytest.fixture
def approver(approval_account):
    return make_user(approval_account, "approver", rights=[Right.APPROVAL])


def place(client, tech, account, product, captured, **payment) -> Order:
    client.force_login(tech)
    token = review_token(client, account, product)
    response = confirm(client, token, captured, **payment)
    assert response.status_code == 302, response.content.decode()[:1500]
    return Order.objects.get(submission_token=token)


def test_tokens_are_taken_on_approval(
    client, tech, approver, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.BULK)
    credit_tokens(approval_account, product, 2, reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="tokens"
    )
    assert order.status == S.AWAITING_APPROVAL and token_balance(approval_account, product) == 2
    order = approve_order(order, user=approver)
    order.refresh_from_db()
    assert token_balance(approval_account, product) == 1
    assert TokenMovement.objects.filter(reference=order.reference, quantity=-1).count() == 1
    assert order.paid_at is not None
    assert order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)
    # Approving again books nothing more.
    approve_order(order, user=approver)
    assert token_balance(approval_account, product) == 1


def test_balance_is_debited_on_approval_with_a_paid_invoice(
    client, tech, approver, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.CURRENT)
    credit_euros(approval_account, Decimal("500.00"), reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="balance"
    )
    approve_order(order, user=approver)
    order.refresh_from_db()
    assert euro_balance(approval_account) == Decimal("500.00") - order.price_excl_vat
    [invoice] = Document.objects.filter(source_reference=order.reference, kind=DocumentKind.INVOICE)
    assert invoice.status == DocumentStatus.PAID
    assert order.paid_at is not None and order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)


def test_monthly_charge_is_registered_on_approval(
    client, tech, approver, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.MONTHLY)
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="monthly"
    )
    assert not PendingCharge.objects.filter(reference=order.reference).exists()
    approve_order(order, user=approver)
    order.refresh_from_db()
    assert PendingCharge.objects.filter(reference=order.reference).count() == 1
    assert order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)


def test_tokens_spent_meanwhile_leave_the_order_waiting_with_a_top_up_then_pay(
    client, tech, approver, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.BULK)
    credit_tokens(approval_account, product, 1, reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="tokens"
    )
    debit_tokens(approval_account, product, 1, reference="OTHER-ORDER")  # spent before the approval
    approve_order(order, user=approver)
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.paid_at is None and order.approved_at is not None
    assert AuditEvent.objects.filter(action="order.payment_shortfall").count() == 1
    detail = reverse("orders:detail", args=[order.reference])
    pay = reverse("orders:pay", args=[order.reference])
    client.force_login(make_user(approval_account, "techbill", rights=[Right.TECHNICAL, Right.BILLING]))
    page = client.get(detail).content.decode()
    assert "no longer covers this order" in page
    assert reverse("account_info:topup") in page and pay in page
    # Still short: the payment is refused with the reason, nothing is booked.
    response = client.post(pay, follow=True)
    assert "no longer covers this order" in response.content.decode()
    order.refresh_from_db()
    assert order.paid_at is None
    # Topped up: paying takes the token, once.
    credit_tokens(approval_account, product, 1, reference="TOPUP-2")
    client.force_login(tech)
    assert reverse("account_info:topup") not in client.get(detail).content.decode()  # tech cannot top up
    assert client.post(pay).status_code == 302
    client.post(pay)
    order.refresh_from_db()
    assert order.paid_at is not None and order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)
    assert TokenMovement.objects.filter(reference=order.reference).count() == 1
    assert token_balance(approval_account, product) == 0
    assert "no longer covers" not in client.get(detail).content.decode()


def test_pay_refusals(
    client, outsider, approver, approval_account, tech, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.CURRENT)
    credit_euros(approval_account, Decimal("500.00"), reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="balance"
    )
    debit_euros(approval_account, Decimal("450.00"), reference="SPENT-MEANWHILE")
    approve_order(order, user=approver)
    order.refresh_from_db()
    assert order.options["payment"]["shortfall"] is True
    pay = reverse("orders:pay", args=[order.reference])
    client.force_login(make_user(approval_account, "sales", rights=[Right.COMMERCIAL]))
    assert client.post(pay).status_code == 403
    client.force_login(outsider)
    assert client.post(pay).status_code == 404
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Your euro balance no longer covers this order" in page
    assert reverse("account_info:topup_euros") not in page
    order.refresh_from_db()
    assert order.paid_at is None


# Point 3: a total brought to 0 EUR ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["card", "transfer", "cheque"])
def test_promo_code_bringing_the_total_to_zero_waits_for_nothing(
    client, tech, account, product, method, django_capture_on_commit_callbacks
):
    promo = issue_promo_code(account, PRICE, origin="gesture")
    order = place(
        client,
        tech,
        account,
        product,
        django_capture_on_commit_callbacks,
        method=method,
        promo_code=promo.code,
    )
    assert order.price_excl_vat == Decimal("0.00")
    assert order.paid_at is not None
    assert order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)
    invoices = Document.objects.filter(source_reference=order.reference, kind=DocumentKind.INVOICE)
    assert not invoices.filter(status=DocumentStatus.ISSUED).exists()  # no 0 EUR unpaid invoice
    assert badge_counts(account).get("billing:unpaid", 0) == 0


def test_zero_total_after_approval_waits_for_nothing(
    client, tech, approver, approval_account, product, django_capture_on_commit_callbacks
):
    promo = issue_promo_code(approval_account, PRICE, origin="gesture")
    order = place(
        client,
        tech,
        approval_account,
        product,
        django_capture_on_commit_callbacks,
        method="transfer",
        promo_code=promo.code,
    )
    approve_order(order, user=approver)
    order.refresh_from_db()
    assert order.paid_at is not None and order.status in (S.UNDER_VERIFICATION, S.AWAITING_DCV)
    assert not Document.objects.filter(
        source_reference=order.reference, status=DocumentStatus.ISSUED
    ).exists()
