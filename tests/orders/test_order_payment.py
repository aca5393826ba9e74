"""ORD-9 payment at order time, end to end with the test client: each formula and payment path,
documents and their PDFs, promo codes and coupons, the late-payment restriction, record_payment."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Account, Right
from billing.models import (
    Coupon,
    CouponState,
    Document,
    DocumentKind,
    DocumentStatus,
    MandateKind,
    PendingCharge,
    PromoState,
    TokenMovement,
)
from billing.services.coupons import issue_coupon
from billing.services.ledger import credit_euros, credit_tokens, debit_tokens, euro_balance, token_balance
from billing.services.promos import issue_promo_code
from billing.services.sepa import request_mandate, validate_mandate
from orders.models import Order, OrderStatus
from orders.services.issuing import issue_certificate
from orders.services.lifecycle import record_payment
from tests.factories import make_user
from tests.support.orders import form_data, pass_dcv

S = OrderStatus
# form_data: 12 months at 120.00 + one domain SAN at 30.00 = 150.00 excl. VAT, 180.00 incl. 20 % VAT.
PRICE = Decimal("150.00")
HOLDER = {
    "name": "Acme Hosting",
    "address": "1 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


def set_formula(account: Account, formula: str) -> None:
    account.formula = formula
    account.save(update_fields=["formula"])


def pdf_text(document: Document) -> str:
    document.refresh_from_db()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(document.pdf))).pages)


def review_token(client, account, product) -> str:
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.match(r"^/operations/review/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def confirm(client, token: str, captured, **payment):
    with captured(execute=True):
        return client.post(reverse("operations:confirm", args=[token]), payment)


def the_order() -> Order:
    return Order.objects.get()


def documents(order: Order, kind: str):
    return list(Document.objects.filter(source_reference=order.reference, kind=kind))


# Formulas ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_tokens_used_by_default_and_debited_once(
    tech_client, account, product, tech, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.BULK)
    credit_tokens(account, product, 3, reference="TOPUP-1")
    token = review_token(tech_client, account, product)
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert 'class="token-balance">3<' in page
    assert re.search(r'value="tokens"[^>]*checked', page)  # used by default
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="tokens")
    order = the_order()
    assert response["Location"] == reverse("operations:confirmation", args=[order.reference])
    # A second click finds the same order: one token taken, once.
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="tokens")
    assert token_balance(account, product) == 2
    assert TokenMovement.objects.filter(reference=order.reference).count() == 1
    assert order.status == S.AWAITING_DCV and order.paid_at is not None
    assert order.options["payment"]["method"] == "tokens"
    assert not documents(order, DocumentKind.INVOICE)


@pytest.mark.django_db
def test_current_account_balance_debited_excl_vat_with_a_paid_invoice(
    tech_client, account, product, billing, django_capture_on_commit_callbacks, mailoutbox
):
    set_formula(account, Account.Formula.CURRENT)
    credit_euros(account, Decimal("500.00"), reference="TOPUP-1")
    token = review_token(tech_client, account, product)
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert re.search(r'value="balance"[^>]*checked', page)
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="balance")
    order = the_order()
    assert euro_balance(account) == Decimal("500.00") - PRICE
    assert order.status == S.AWAITING_DCV and order.paid_at is not None
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert invoice.status == DocumentStatus.PAID and invoice.total_incl_vat == Decimal("180.00")
    text = pdf_text(invoice)
    assert invoice.display_number in text and "180.00" in text
    # ORD-3: the confirmation email carries the invoice PDF.
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert mail.attachments and mail.attachments[0][2] == "application/pdf"
    # The confirmation page links the PDF for a user with Billing; the technical user sees the number.
    url = reverse("billing:document_pdf", args=[invoice.public_id])
    tech_page = tech_client.get(reverse("operations:confirmation", args=[order.reference])).content.decode()
    assert invoice.display_number in tech_page and url not in tech_page
    both = make_user(account, "both", rights=[Right.TECHNICAL, Right.BILLING])
    tech_client.force_login(both)
    assert url in tech_client.get(reverse("operations:confirmation", args=[order.reference])).content.decode()
    assert tech_client.get(url)["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_balance_spent_between_review_and_confirm(
    tech_client, account, product, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.BULK)
    credit_tokens(account, product, 1, reference="TOPUP-1")
    token = review_token(tech_client, account, product)
    debit_tokens(account, product, 1, reference="OTHER-ORDER")
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="tokens")
    assert response.status_code == 400
    assert "token balance for this product does not cover" in response.content.decode()
    assert not Order.objects.exists() and not Document.objects.exists()


@pytest.mark.django_db
def test_race_on_the_ledger_shows_the_message_and_creates_nothing(
    tech_client, account, product, monkeypatch, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.BULK)
    credit_tokens(account, product, 1, reference="TOPUP-1")
    token = review_token(tech_client, account, product)
    from orders.forms import payment as payment_form

    # The form saw the token; the ledger is emptied just before the debit (another order won).
    real_plan = payment_form.plan_payment

    def plan_then_spend(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        debit_tokens(account, product, 1, reference="OTHER-ORDER")
        return plan

    monkeypatch.setattr(payment_form, "plan_payment", plan_then_spend)
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="tokens")
    assert response.status_code == 409
    assert "The payment could not be made" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_monthly_registers_a_charge(tech_client, account, product, django_capture_on_commit_callbacks):
    set_formula(account, Account.Formula.MONTHLY)
    token = review_token(tech_client, account, product)
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="monthly")
    order = the_order()
    charge = PendingCharge.objects.get(reference=order.reference)
    assert charge.amount == PRICE and order.status == S.AWAITING_DCV
    assert not documents(order, DocumentKind.INVOICE)
    # Delivered before the monthly invoice: "delivered, not invoiced" (LIFE-1, LEDG-1).
    staff = make_user(account, "validator", superuser=False)
    staff.is_staff = True
    staff.save()
    issue_certificate(pass_dcv(order, staff), user=staff)
    order.refresh_from_db()
    assert order.status == S.DELIVERED_NOT_INVOICED
    record_payment(order, user=staff)
    order.refresh_from_db()
    assert order.status == S.DELIVERED_PAID


# Other payment methods -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["card", "cheque", "transfer"])
def test_card_cheque_transfer_leave_an_unpaid_invoice(
    tech_client, account, product, method, django_capture_on_commit_callbacks
):
    token = review_token(tech_client, account, product)
    confirm(tech_client, token, django_capture_on_commit_callbacks, method=method)
    order = the_order()
    assert order.status == S.AWAITING_PAYMENT and order.paid_at is None
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert invoice.status == DocumentStatus.ISSUED and invoice.total_incl_vat == Decimal("180.00")
    assert "180.00" in pdf_text(invoice)


@pytest.mark.django_db
def test_record_payment_marks_the_invoice_paid_once(
    tech_client, account, product, staff, django_capture_on_commit_callbacks
):
    token = review_token(tech_client, account, product)
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="transfer")
    order = record_payment(the_order(), user=staff, reference="VIR-42")
    record_payment(order, user=staff, reference="VIR-42")
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert invoice.status == DocumentStatus.PAID and invoice.payment_reference == "VIR-42"
    assert order.status == S.AWAITING_DCV


@pytest.mark.django_db
def test_sepa_needs_a_mandate(
    tech_client, account, product, owner, staff, django_capture_on_commit_callbacks
):
    token = review_token(tech_client, account, product)
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert 'value="direct_debit"' not in page
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="direct_debit")
    assert response.status_code == 400 and "validated SEPA mandate" in response.content.decode()
    assert not Order.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        mandate = request_mandate(
            account,
            kind=MandateKind.RECURRING,
            holder=HOLDER,
            iban="FR1420041010050500013M02606",
            bic="AGRIFRPP",
            by=owner,
        )
    validate_mandate(mandate, staff)
    assert "debited on" in tech_client.get(reverse("operations:review", args=[token])).content.decode()
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="direct_debit")
    order = the_order()
    assert order.status == S.PROCESSING_AWAITING_PAYMENT
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert (invoice.due_date - invoice.issue_date).days == 10 and invoice.status == DocumentStatus.ISSUED


@pytest.mark.django_db
def test_purchase_order_gives_a_quote_with_fees(
    tech_client, account, product, django_capture_on_commit_callbacks
):
    token = review_token(tech_client, account, product)
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="purchase_order")
    assert response.status_code == 400 and "payment term" in response.content.decode()
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="purchase_order", term="45")
    order = the_order()
    assert order.status == S.QUOTE and order.price_excl_vat == Decimal("153.00")  # 2 % fees
    [quote] = documents(order, DocumentKind.QUOTE)
    assert quote.total_excl_vat == Decimal("153.00") and quote.total_incl_vat == Decimal("183.60")
    assert not documents(order, DocumentKind.INVOICE)
    assert "183.60" in pdf_text(quote)


@pytest.mark.django_db
def test_quote_box(tech_client, account, product, django_capture_on_commit_callbacks):
    token = review_token(tech_client, account, product)
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="card", quote="on")
    order = the_order()
    assert order.status == S.QUOTE
    [quote] = documents(order, DocumentKind.QUOTE)
    assert quote.total_incl_vat == Decimal("180.00")


@pytest.mark.django_db
def test_late_payment_statement_leaves_card_and_transfer(
    tech_client, account, product, django_capture_on_commit_callbacks
):
    from billing.models import BillingProfile

    BillingProfile.objects.update_or_create(account=account, defaults={"late_payment_block": True})
    token = review_token(tech_client, account, product)
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert "card or bank transfer only" in page
    assert 'value="cheque"' not in page and 'value="card"' in page and 'value="transfer"' in page
    response = confirm(tech_client, token, django_capture_on_commit_callbacks, method="cheque")
    assert response.status_code == 400 and "card or bank transfer only" in response.content.decode()
    assert not Order.objects.exists()


# Promo codes and coupons ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_promo_code_previewed_then_used_once(
    tech_client, account, other_account, product, django_capture_on_commit_callbacks
):
    promo = issue_promo_code(account, Decimal("50.00"), origin="gesture")
    foreign = issue_promo_code(other_account, Decimal("50.00"), origin="gesture")
    token = review_token(tech_client, account, product)
    preview = tech_client.post(
        reverse("operations:review", args=[token]), {"method": "card", "promo_code": promo.code.lower()}
    )
    assert "−50.00" in preview.content.decode() and "100.00" in preview.content.decode()
    promo.refresh_from_db()
    assert promo.state == PromoState.VALID  # a preview does not use it
    refused = tech_client.post(
        reverse("operations:review", args=[token]), {"method": "card", "promo_code": foreign.code}
    )
    assert "not valid for your account" in refused.content.decode()
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="card", promo_code=promo.code)
    order = the_order()
    promo.refresh_from_db()
    assert promo.state == PromoState.USED and promo.used_reference == order.reference
    assert order.price_excl_vat == Decimal("100.00")
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert invoice.total_excl_vat == Decimal("100.00") and invoice.total_incl_vat == Decimal("120.00")
    # Used: a second order cannot take it.
    token2 = review_token(tech_client, account, product)
    again = confirm(
        tech_client, token2, django_capture_on_commit_callbacks, method="card", promo_code=promo.code
    )
    assert again.status_code == 400 and "already used" in again.content.decode()


@pytest.mark.django_db
def test_coupon_pays_the_invoice_and_leaves_the_remainder(
    tech_client, account, product, django_capture_on_commit_callbacks
):
    coupon = issue_coupon(account, Decimal("200.00"), origin_reference="OLD-ORDER")
    token = review_token(tech_client, account, product)
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert coupon.number in page
    refused = confirm(
        tech_client,
        token,
        django_capture_on_commit_callbacks,
        method="purchase_order",
        term="30",
        coupon=coupon.number,
    )
    assert (
        refused.status_code == 400 and "deposit coupon pays an order invoiced now" in refused.content.decode()
    )
    confirm(tech_client, token, django_capture_on_commit_callbacks, method="card", coupon=coupon.number)
    order = the_order()
    coupon.refresh_from_db()
    assert coupon.state == CouponState.USED and coupon.applied_amount == Decimal("180.00")
    assert Coupon.objects.get(parent=coupon).amount == Decimal("20.00")
    [invoice] = documents(order, DocumentKind.INVOICE)
    assert invoice.status == DocumentStatus.PAID
    assert order.paid_at is not None and order.status == S.AWAITING_DCV


@pytest.mark.django_db
def test_review_refusals(client, account, product, billing, outsider):
    client.force_login(billing)
    assert client.get(reverse("operations:review", args=["x"])).status_code == 403
    assert client.post(reverse("operations:confirm", args=["x"])).status_code == 403
