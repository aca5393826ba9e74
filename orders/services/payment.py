"""Paying an order at order time (ORD-9, LEDG-1, ACCT-4, ACCT-5, ACCT-6) and the money side of
its cancellation (LIFE-6).

Orders hand billing what to charge; billing keeps the ledgers and the documents (STYLE.md floors).

What the review page offers depends on the account's formula (LEDG-1):
- tokens of the product (Bulk purchase, and Rebate accounts that bought some), used by default
  when the balance holds one token: one order takes one token;
- the euro balance (Current account), used by default when it covers the price excl. VAT (the
  balance is kept excl. VAT, each debit comes with a paid invoice);
- the monthly invoice (Monthly payment): the order becomes a charge of the next monthly invoice;
- "other payment methods", at the public price: card, cheque, transfer (an unpaid invoice, due
  now, until staff record the payment), SEPA direct debit (an active mandate needed; the order is
  processed meanwhile and the invoice falls due on the debit date, `SEPA_DEBIT_DAYS` after the
  order) and deferred payment by purchase order (a quote with the chosen term plus
  `PURCHASE_ORDER_FEE_RATE` of fees). The quote box turns any of them into a quote.
Tokens, balance and monthly pay the formula's price (billing.services.pricing.price_for); the
other methods pay the public price. A late-payment statement (ACCT-6) leaves card and transfer.
A promo code lowers the amount excl. VAT; a deposit coupon pays part or all of an invoice now.

`plan_payment` checks a choice and prices it (the review page shows it); `settle` books it inside
submit_order's transaction with the order reference, so a refusal (InsufficientBalance, a coupon
used meanwhile) rolls the whole order back. The choice is kept in Order.options["payment"].
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import log_action
from accounts.models import Account, User
from billing.models import (
    Coupon,
    Document,
    DocumentKind,
    DocumentStatus,
    MovementKind,
    PaymentMode,
    ReceiptMethod,
    TokenMovement,
)
from billing.services.coupons import CouponError, apply_coupon, issue_coupon, usable_coupons
from billing.services.documents import LineInput, issue_credit_note, issue_invoice, issue_quote, mark_paid
from billing.services.late_payment import CASH_PAYMENT_MODES, cash_only
from billing.services.ledger import (
    InsufficientBalance,
    credit_tokens,
    debit_euros,
    debit_tokens,
    euro_balance,
    token_balance,
)
from billing.services.monthly import register_charge, withdraw_charge
from billing.services.pricing import PricingError, price_for
from billing.services.promos import PromoCodeError, check_promo_code, redeem_promo_code
from billing.services.receipts import PaymentInstructions, payment_instructions
from billing.services.sepa import active_mandate
from billing.services.vat import ZERO, round_cents
from catalog.models import Product
from catalog.services import public_price

from ..models import Order, OrderStatus
from .transitions import NOT_PAYABLE, lock_order

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)
S = OrderStatus

# ORD-9: a direct debit is taken this many days after the order (the invoice falls due then).
SEPA_DEBIT_DAYS = 10
# ORD-9: deferred payment by purchase order: the terms offered, and the fees added to the price.
PURCHASE_ORDER_TERMS = (30, 45, 60)
PURCHASE_ORDER_FEE_RATE = Decimal("2.00")
# One order paid with tokens takes one token of its product (LEDG-1 bulk purchase).
TOKENS_PER_ORDER = 1


class Method(models.TextChoices):
    """ORD-9: how an order is paid. The last five are billing's PaymentMode values."""

    TOKENS = "tokens", gettext_lazy("Tokens of the product")
    BALANCE = "balance", gettext_lazy("Euro balance of the current account")
    MONTHLY = "monthly", gettext_lazy("On next month's invoice")
    CARD = PaymentMode.CARD.value, PaymentMode.CARD.label
    CHEQUE = PaymentMode.CHEQUE.value, PaymentMode.CHEQUE.label
    TRANSFER = PaymentMode.TRANSFER.value, PaymentMode.TRANSFER.label
    DIRECT_DEBIT = PaymentMode.DIRECT_DEBIT.value, PaymentMode.DIRECT_DEBIT.label
    PURCHASE_ORDER = PaymentMode.PURCHASE_ORDER.value, PaymentMode.PURCHASE_ORDER.label


# The formula's own means (formula price) and the "other payment methods" (public price).
FORMULA_METHODS = (Method.TOKENS, Method.BALANCE, Method.MONTHLY)
OTHER_METHODS = (Method.CARD, Method.CHEQUE, Method.TRANSFER, Method.DIRECT_DEBIT, Method.PURCHASE_ORDER)
# Methods that take the money at once from what the account holds (LEDG-1).
PREPAID_METHODS = (Method.TOKENS, Method.BALANCE)
# Methods that issue an invoice now, which a deposit coupon may pay (ACCT-4).
INVOICED_NOW = (Method.CARD, Method.CHEQUE, Method.TRANSFER, Method.DIRECT_DEBIT)


class PaymentError(ValueError):
    """A payment choice that cannot be used; `field` says which form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message, self.field = message, field
        super().__init__(message)


@dataclass(frozen=True)
class Offer:
    """What the review page offers an account for one order (ORD-9)."""

    methods: list[str]
    default: str
    tokens: int | None
    euro_balance: Decimal | None
    formula_price: Decimal
    public_price: Decimal
    cash_only: bool
    mandate: bool
    debit_date: datetime.date

    @property
    def choices(self) -> list[tuple[str, StrOrPromise]]:
        return [(method, Method(method).label) for method in self.methods]


@dataclass(frozen=True)
class PaymentPlan:
    """A checked payment choice and its amounts (EUR excl. VAT unless said)."""

    method: str
    quote: bool = False
    term_days: int = 0
    promo_code: str = ""
    promo_discount: Decimal = ZERO
    coupon: str = ""
    price: Decimal = ZERO
    fees: Decimal = ZERO
    total_excl_vat: Decimal = ZERO

    @property
    def makes_quote(self) -> bool:
        return self.quote or self.method == Method.PURCHASE_ORDER

    @property
    def free(self) -> bool:
        """A promo code brought the total to 0 EUR: nothing to pay, nothing to wait for."""
        return not self.makes_quote and self.method != Method.TOKENS and self.total_excl_vat <= ZERO

    @classmethod
    def from_options(cls, data: dict | None) -> PaymentPlan | None:
        """The plan kept in Order.options["payment"] (`as_options`), or None without one."""
        if not data or data.get("method") not in Method.values:
            return None
        return cls(
            method=data["method"],
            quote=bool(data.get("quote")),
            term_days=int(data.get("term_days") or 0),
            promo_code=data.get("promo_code") or "",
            promo_discount=Decimal(data.get("promo_discount") or "0"),
            coupon=data.get("coupon") or "",
            price=Decimal(data.get("price") or "0"),
            fees=Decimal(data.get("fees") or "0"),
            total_excl_vat=Decimal(data.get("total_excl_vat") or "0"),
        )

    def initial_status(self) -> str:
        """ORD-9: where a placed (not approval-bound) order starts."""
        if self.makes_quote:
            return S.QUOTE
        if self.method in (Method.TOKENS, Method.BALANCE, Method.MONTHLY) or self.free:
            return S.UNDER_VERIFICATION
        if self.method == Method.DIRECT_DEBIT:
            return S.PROCESSING_AWAITING_PAYMENT
        return S.AWAITING_PAYMENT

    def as_options(self) -> dict:
        """JSON for Order.options["payment"]."""
        data = asdict(self)
        for key in ("promo_discount", "price", "fees", "total_excl_vat"):
            data[key] = str(data[key])
        return data


def formula_price(account: Account, product: Product, months: int, public_total: Decimal) -> Decimal:
    """PRICE-1: the order's price for the account's formula: the public total less the formula's
    discount on the period's price (names and options stay at their price)."""
    try:
        period_public = public_price(product, months)
        period_formula = price_for(product, months, formula=account.formula, quantity=1)
    except (PricingError, LookupError, ValueError):
        return public_total
    return max(public_total - (period_public - period_formula), ZERO)


def debit_date(day: datetime.date | None = None) -> datetime.date:
    """ORD-9: when a direct debit of an order placed on `day` (today) is taken."""
    return (day or timezone.localdate()) + datetime.timedelta(days=SEPA_DEBIT_DAYS)


def offer(account: Account, product: Product, months: int, public_total: Decimal) -> Offer:
    """ORD-9: the payment methods open to the account for this order, and the default one."""
    own = formula_price(account, product, months, public_total)
    tokens = (
        token_balance(account, product)
        if account.formula in (Account.Formula.BULK, Account.Formula.REBATE)
        else None
    )
    balance = euro_balance(account) if account.formula == Account.Formula.CURRENT else None
    restricted = cash_only(account)
    mandate = active_mandate(account) is not None
    methods: list[str] = []
    if not restricted:
        if tokens is not None and tokens >= TOKENS_PER_ORDER:
            methods.append(Method.TOKENS)
        if balance is not None and balance >= own:
            methods.append(Method.BALANCE)
        if account.formula == Account.Formula.MONTHLY:
            methods.append(Method.MONTHLY)
    for method in OTHER_METHODS:
        if restricted and method not in CASH_PAYMENT_MODES:
            continue
        if method == Method.DIRECT_DEBIT and not mandate:
            continue
        methods.append(method)
    return Offer(
        methods=[str(m) for m in methods],
        default=str(methods[0]),
        tokens=tokens,
        euro_balance=balance,
        formula_price=own,
        public_price=public_total,
        cash_only=restricted,
        mandate=mandate,
        debit_date=debit_date(),
    )


def plan_payment(
    account: Account,
    product: Product,
    months: int,
    public_total: Decimal,
    *,
    method: str,
    quote: bool = False,
    term_days: int | None = None,
    promo_code: str = "",
    coupon: Coupon | None = None,
) -> PaymentPlan:
    """ORD-9: check a payment choice and price it; raises PaymentError (with its field) when it
    cannot be used. Nothing is booked here (the review page calls it to preview)."""
    current = offer(account, product, months, public_total)
    if method not in current.methods:
        raise PaymentError(_refusal(method, current), "method")
    if quote and method in FORMULA_METHODS:
        raise PaymentError(
            _(
                "A quote is for the other payment methods: choose card, cheque, transfer, direct "
                "debit or purchase order."
            ),
            "quote",
        )
    term = 0
    if method == Method.PURCHASE_ORDER:
        if term_days not in PURCHASE_ORDER_TERMS:
            raise PaymentError(_("Choose the payment term of the purchase order."), "term")
        term = term_days
    price = current.formula_price if method in FORMULA_METHODS else current.public_price
    discount = ZERO
    code = (promo_code or "").strip()
    if code:
        if method == Method.TOKENS:
            raise PaymentError(
                _("A promo code lowers a price in euros: it does not apply to an order paid with tokens."),
                "promo_code",
            )
        try:
            promo, discount = check_promo_code(account, code, amount_due=price)
        except PromoCodeError as error:
            raise PaymentError(str(error.args[0]), "promo_code") from None
        code = promo.code
    net = price - discount
    fees = round_cents(net * PURCHASE_ORDER_FEE_RATE / 100) if method == Method.PURCHASE_ORDER else ZERO
    if coupon is not None and net + fees <= ZERO and not quote:
        coupon = None  # the promo code took the whole price: the coupon stays for another order
    if coupon is not None:
        if method not in INVOICED_NOW or quote:
            raise PaymentError(
                _(
                    "A deposit coupon pays an order invoiced now: choose card, cheque, transfer or "
                    "direct debit, without a quote."
                ),
                "coupon",
            )
        if coupon.account_id != account.pk or not usable_coupons(account).filter(pk=coupon.pk).exists():
            raise PaymentError(_("This coupon can no longer be used."), "coupon")
    return PaymentPlan(
        method=str(method),
        quote=quote,
        term_days=term,
        promo_code=code,
        promo_discount=discount,
        coupon=coupon.number if coupon else "",
        price=price,
        fees=fees,
        total_excl_vat=net + fees,
    )


def _refusal(method: str, current: Offer) -> str:
    if current.cash_only and method not in CASH_PAYMENT_MODES:
        return cash_only_message()
    if method == Method.DIRECT_DEBIT:
        return _("Direct debit needs a validated SEPA mandate: ask for one from the account information.")
    if method == Method.TOKENS:
        return _(
            "Your token balance for this product does not cover this order: choose another payment method."
        )
    if method == Method.BALANCE:
        return _("Your euro balance does not cover this order: choose another payment method.")
    return _("This payment method is not available to your account.")


def cash_only_message() -> str:
    """ACCT-6: why only card and transfer are offered."""
    return _(
        "A late-payment statement is awaiting payment on your account: until it is settled, orders are paid "
        "by card or bank transfer only."
    )


# Settlement at confirmation -------------------------------------------------------------------------


def _lines(order: Order, plan: PaymentPlan) -> list[LineInput]:
    description = _("%(product)s, %(months)s months – %(name)s (order %(reference)s)") % {
        "product": order.product,
        "months": order.period_months,
        "name": order.common_name,
        "reference": order.reference,
    }
    lines = [LineInput(description=description, unit_price=plan.price)]
    if plan.promo_discount:
        lines.append(
            LineInput(
                description=_("Promo code %(code)s") % {"code": plan.promo_code},
                unit_price=-plan.promo_discount,
            )
        )
    if plan.fees:
        lines.append(
            LineInput(
                description=_("Deferred payment fees (%(rate)s %%), %(days)s days")
                % {"rate": f"{PURCHASE_ORDER_FEE_RATE:f}".rstrip("0").rstrip("."), "days": plan.term_days},
                unit_price=plan.fees,
            )
        )
    return lines


def settle(
    order: Order, plan: PaymentPlan, *, user: User | None, request: HttpRequest | None = None
) -> Document | None:
    """ORD-9: book the chosen payment of a just-saved order, in the caller's transaction.

    Tokens or the euro balance are debited (reference = order reference) and the order is paid;
    a monthly account's order becomes a charge of its next invoice; card, cheque, transfer and
    direct debit issue the invoice (unpaid; a coupon may pay it); a quote or a purchase order
    issues a quote. The promo code is redeemed first. Returns the document issued, if any.
    Raises InsufficientBalance, CouponError or PromoCodeError: the caller's transaction rolls back.
    """
    account = order.account
    if plan.promo_code:
        redeem_promo_code(account, plan.promo_code, amount_due=plan.price, reference=order.reference, by=user)
    document = None
    paid = False
    if plan.makes_quote:
        document = issue_quote(
            account,
            _lines(order, plan),
            reference=order.reference,
            by=user,
            due_days=plan.term_days or None,
            billing_address=order.options.get("billing_address"),
        )
    elif plan.method == Method.TOKENS:
        debit_tokens(
            account,
            order.product,
            TOKENS_PER_ORDER,
            reference=order.reference,
            user=user,
            note=order.common_name[:100],
        )
        paid = True
    elif plan.method == Method.BALANCE:
        document = issue_invoice(
            account,
            _lines(order, plan),
            reference=order.reference,
            by=user,
            paid=True,
            payment_reference=_("Euro balance"),
            billing_address=order.options.get("billing_address"),
        )
        debit_euros(account, plan.total_excl_vat, reference=order.reference, user=user, document=document)
        paid = True
    elif plan.method == Method.MONTHLY:
        register_charge(
            account,
            reference=order.reference,
            description=_lines(order, plan)[0].description,
            amount=plan.total_excl_vat,
            date=timezone.localdate(),
            by=user,
        )
    elif plan.free:
        # A promo code took the whole price: the invoice is issued paid, nothing is awaited.
        document = issue_invoice(
            account,
            _lines(order, plan),
            reference=order.reference,
            by=user,
            paid=True,
            payment_reference=_("Promo code %(code)s") % {"code": plan.promo_code},
        )
        paid = True
    else:
        due_days = SEPA_DEBIT_DAYS if plan.method == Method.DIRECT_DEBIT else 0
        document = issue_invoice(
            account,
            _lines(order, plan),
            reference=order.reference,
            by=user,
            due_days=due_days,
            billing_address=order.options.get("billing_address"),
        )
        if plan.coupon:
            paid = _pay_with_coupon(order, plan, document, user)
    if paid:
        order.paid_at = timezone.now()
        if plan.free:
            label = _("Promo code %(code)s") % {"code": plan.promo_code} if plan.promo_code else ""
        else:
            label = plan.coupon or str(Method(plan.method).label)
        order.payment_reference = label[:100]
        order.save(update_fields=["paid_at", "payment_reference"])
        if order.status == S.AWAITING_PAYMENT:
            order.status = S.UNDER_VERIFICATION
            order.save(update_fields=["status"])
    log_action(
        "order.payment_chosen",
        obj=order,
        user=user,
        request=request,
        method=plan.method,
        quote=plan.makes_quote,
        total_excl_vat=str(plan.total_excl_vat),
        promo_code=plan.promo_code,
        coupon=plan.coupon,
        document=document.display_number if document else "",
        paid=paid,
    )
    return document


def record_shortfall(
    order: Order,
    plan: PaymentPlan,
    shortfall: InsufficientBalance,
    *,
    user: User | None,
    request: HttpRequest | None = None,
) -> None:
    """LEDG-4: the tokens or balance chosen at order time no longer cover the (approved) order: it
    waits for payment, and its status page says so and offers the top-up then `pay_with_holdings`."""
    options = dict(order.options)
    options["payment"] = {**options.get("payment", {}), "shortfall": True}
    order.options = options
    order.save(update_fields=["options"])
    log_action(
        "order.payment_shortfall",
        obj=order,
        user=user,
        request=request,
        method=plan.method,
        available=str(shortfall.available),
        requested=str(shortfall.requested),
    )


def awaits_holdings(order: Order) -> bool:
    """LEDG-4: the order waits for tokens or balance the account did not hold when it was approved."""
    payment = (order.options or {}).get("payment") or {}
    return (
        bool(payment.get("shortfall"))
        and payment.get("method") in PREPAID_METHODS
        and order.status == S.AWAITING_PAYMENT
        and order.paid_at is None
    )


def topup_url_name(method: str) -> str:
    """LEDG-4: the page where the account tops up what the order is paid with (tokens or euros)."""
    return "account_info:topup" if method == Method.TOKENS else "account_info:topup_euros"


def shortfall_message(method: str) -> str:
    if method == Method.TOKENS:
        return _(
            "Your token balance for this product no longer covers this order: top up your tokens, then pay "
            "the order with them."
        )
    return _(
        "Your euro balance no longer covers this order: top up your current account, then pay the order "
        "from it."
    )


def pay_with_holdings(order: Order, *, user: User, request: HttpRequest | None = None) -> Order:
    """LEDG-4: pay an order left waiting by `record_shortfall` with the tokens or balance chosen at
    order time, once topped up: the same `settle`, under the order's lock. Idempotent (an order
    already paid is returned as it is); raises PaymentError while the holdings still fall short."""
    with transaction.atomic():
        locked = lock_order(order)
        if locked.paid_at is not None or not awaits_holdings(locked):
            return locked
        plan = PaymentPlan.from_options(locked.options["payment"])
        assert plan is not None  # awaits_holdings checked the method
        try:
            with transaction.atomic():
                settle(locked, plan, user=user, request=request)
        except InsufficientBalance:
            raise PaymentError(shortfall_message(plan.method)) from None
        payment = dict(locked.options["payment"])
        payment.pop("shortfall", None)
        locked.options = {**locked.options, "payment": payment}
        locked.save(update_fields=["options"])
    return locked


def _pay_with_coupon(order: Order, plan: PaymentPlan, invoice: Document, user: User | None) -> bool:
    """ACCT-4: the coupon pays what it can of the invoice; True when it paid all of it."""
    coupon = Coupon.objects.filter(account=order.account, number=plan.coupon).first()
    if coupon is None:
        raise CouponError(_("This coupon can no longer be used."))
    applied, _remainder = apply_coupon(coupon, invoice.total_incl_vat, reference=order.reference, by=user)
    options = dict(order.options)
    options["payment"] = {**options.get("payment", {}), "coupon_applied": str(applied)}
    order.options = options
    order.save(update_fields=["options"])
    if applied >= invoice.total_incl_vat:
        mark_paid(invoice, user, payment_reference=_("Coupon %(number)s") % {"number": coupon.number})
        return True
    return False


# Reading an order's payment and documents ---------------------------------------------------------


def order_documents(order: Order) -> Any:
    """ORD-3, LIFE-6: the billing documents issued for the order (by its reference), oldest first."""
    return (
        Document.objects.filter(account_id=order.account_id, source_reference=order.reference)
        .defer("pdf")
        .order_by("issue_date", "id")
    )


def main_document(order: Order) -> Document | None:
    """The order's invoice, else its quote (the document the confirmation page shows)."""
    documents = list(order_documents(order).filter(kind__in=(DocumentKind.INVOICE, DocumentKind.QUOTE)))
    return next((d for d in documents if d.kind == DocumentKind.INVOICE), None) or next(
        (d for d in documents if d.kind == DocumentKind.QUOTE), None
    )


@dataclass(frozen=True)
class PaymentSummary:
    method: str
    method_label: str
    quote: bool
    total_excl_vat: Decimal | None
    promo_code: str
    promo_discount: Decimal
    coupon: str
    term_days: int
    debit_date: datetime.date | None
    document: Document | None
    credit_notes: list[Document]
    shortfall: str = ""


def payment_summary(order: Order) -> PaymentSummary | None:
    """What the confirmation and status pages show of the order's payment (None if none chosen)."""
    data = (order.options or {}).get("payment")
    if not data:
        return None
    method = data.get("method", "")
    credit_notes = list(order_documents(order).filter(kind=DocumentKind.CREDIT_NOTE))
    return PaymentSummary(
        method=method,
        method_label=str(Method(method).label) if method in Method.values else method,
        quote=bool(data.get("quote")) or method == Method.PURCHASE_ORDER,
        total_excl_vat=Decimal(data["total_excl_vat"]) if data.get("total_excl_vat") else None,
        promo_code=data.get("promo_code", ""),
        promo_discount=Decimal(data.get("promo_discount") or "0"),
        coupon=data.get("coupon", ""),
        term_days=data.get("term_days") or 0,
        debit_date=debit_date(timezone.localtime(order.created_at).date())
        if method == Method.DIRECT_DEBIT
        else None,
        document=main_document(order),
        credit_notes=credit_notes,
        shortfall=shortfall_message(method) if awaits_holdings(order) else "",
    )


def date_text(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# Staff recording a payment (STAFF-2, ACCT-3) ----------------------------------------------------


def open_invoice(order: Order) -> Document | None:
    """The order's invoice that is not cancelled (issued or paid), if any."""
    return (
        order_documents(order)
        .filter(kind=DocumentKind.INVOICE)
        .exclude(status=DocumentStatus.CANCELLED)
        .first()
    )


def invoiceable(order: Order) -> bool:
    """A monthly account's order is paid with its monthly invoice and a token order with tokens:
    neither has an invoice of its own."""
    payment = (order.options or {}).get("payment") or {}
    return payment.get("method") not in (Method.MONTHLY, Method.TOKENS)


def _issue_order_invoice(
    order: Order, *, user: User | None, paid: bool, reference: str = ""
) -> Document | None:
    if order.account.holder is None:
        logger.warning("Order %s has no invoice: its account has no holder organisation.", order.reference)
        return None
    lines = [
        LineInput(
            description=_("%(product)s, %(months)s months – %(name)s (order %(reference)s)")
            % {
                "product": order.product,
                "months": order.period_months,
                "name": order.common_name,
                "reference": order.reference,
            },
            unit_price=order.price_excl_vat,
        )
    ]
    return issue_invoice(
        order.account,
        lines,
        reference=order.reference,
        by=user,
        paid=paid,
        payment_reference=reference,
        billing_address=order.options.get("billing_address"),
    )


def payable_by_receipt(order: Order) -> bool:
    """STAFF-2: staff may record money received for the order: unpaid, invoiced on its own, and in
    a status that takes a payment (not awaiting approval or a quote signature, not closed)."""
    return order.paid_at is None and invoiceable(order) and order.status not in NOT_PAYABLE


def chosen_receipt_method(order: Order) -> str:
    """The receipt method matching the payment chosen at order time (transfer by default)."""
    method = ((order.options or {}).get("payment") or {}).get("method", "")
    return method if method in ReceiptMethod.values else ReceiptMethod.TRANSFER


# ORD-9: the methods whose money comes later, by the customer's hand: the status page says how.
CASH_METHODS = (Method.CARD, Method.TRANSFER, Method.CHEQUE)


@dataclass(frozen=True)
class HowToPay:
    method: str
    instructions: PaymentInstructions


def how_to_pay(order: Order) -> HowToPay | None:
    """ORD-9: what the status page of an unpaid order paid by card, transfer or cheque shows: the
    amount due, and the seller's bank details, postal address or the card payment button."""
    method = ((order.options or {}).get("payment") or {}).get("method", "")
    if order.paid_at is not None or order.status in NOT_PAYABLE or method not in CASH_METHODS:
        return None
    if (order.options or {}).get("payment", {}).get("quote"):
        return None
    invoice = open_invoice(order)
    instructions = payment_instructions(invoice) if invoice is not None else None
    if instructions is None:
        return None
    return HowToPay(method=method, instructions=instructions)


def ensure_invoice(order: Order, *, user: User | None) -> Document | None:
    """ACCT-3: the invoice staff record a receipt on: the order's own, or, for an unpaid order that
    has none yet (placed by an external link), one issued now, unpaid. Under the order's lock, so
    two staff members never issue two. None when the order is not invoiced on its own."""
    if not invoiceable(order):
        return None
    with transaction.atomic():
        locked = lock_order(order)
        invoice = open_invoice(locked)
        if invoice is not None or locked.paid_at is not None:
            return invoice
        return _issue_order_invoice(locked, user=user, paid=False)


def invoice_paid(order: Order, *, user: User | None, reference: str = "") -> Document | None:
    """ACCT-3: the order was paid: its open invoice is marked paid (idempotent); an order that has no
    invoice yet (placed before payment was chosen, or by an external link) gets one, issued paid.
    A monthly account's order is paid with its monthly invoice: nothing here."""
    if not invoiceable(order):
        return None
    invoice = open_invoice(order)
    if invoice is not None:
        return mark_paid(invoice, user, payment_reference=reference)
    return _issue_order_invoice(order, user=user, paid=True, reference=reference)


# Cancellation, money side (LIFE-6) -----------------------------------------------------------------

# LIFE-6: the cancellation fee, in percent of the order's price, by how far the audit went. Before
# verification nothing was done for the order: no fee. Once our validation team started (under
# verification, awaiting DCV, dormant) the fee is retained from what is refunded or credited.
# Statuses not listed (approval, quote, awaiting payment, processing awaiting payment) take none.
CANCELLATION_FEE_RATES: dict[str, Decimal] = {
    S.UNDER_VERIFICATION: Decimal("20"),
    S.AWAITING_DCV: Decimal("20"),
    S.DORMANT: Decimal("20"),
}


def cancellation_fee_rate(status: str) -> Decimal:
    """LIFE-6: the fee rate (percent) of cancelling an order in `status`."""
    return CANCELLATION_FEE_RATES.get(status, ZERO)


@dataclass(frozen=True)
class Refund:
    fee_rate: Decimal
    credit_note: Document | None
    coupon: Coupon | None
    tokens: int
    charge_withdrawn: bool


def refund_cancelled(order: Order, *, user: User | None, reason: str) -> Refund:
    """LIFE-6: the money side of cancelling `order` (locked by the caller, still in the status it is
    cancelled from), in the caller's transaction.

    Tokens are given back in full (a token cannot be split: the fee applies to money). A monthly
    charge leaves the next monthly invoice. An invoice is credited for the price less the fee
    (in full without fee); when it was paid, a deposit coupon returns what the credit note
    credits (incl. VAT), origin = the order reference. Each step is idempotent (billing's services
    key them on the order reference).
    """
    rate = cancellation_fee_rate(order.status)
    account = order.account
    payment = (order.options or {}).get("payment") or {}
    tokens = 0
    debited = TokenMovement.objects.filter(
        account=account, reference=order.reference, kind=MovementKind.CONSUMPTION, product=order.product
    ).first()
    if debited is not None:
        tokens = -debited.quantity
        credit_tokens(
            account,
            order.product,
            tokens,
            reference=order.reference,
            kind=MovementKind.REFUND,
            user=user,
            note=_("Cancelled order"),
        )
    withdrawn = False
    if payment.get("method") == Method.MONTHLY:
        withdraw_charge(account, order.reference, by=user)
        withdrawn = True
    credit_note = coupon = None
    invoice = (
        order_documents(order)
        .filter(kind=DocumentKind.INVOICE)
        .exclude(status=DocumentStatus.CANCELLED)
        .first()
    )
    if invoice is not None:
        credit_note = _credit(invoice, rate, user=user, reason=reason, reference=order.reference)
        if invoice.status == DocumentStatus.PAID and credit_note.total_incl_vat < 0:
            coupon = issue_coupon(
                account,
                -credit_note.total_incl_vat,
                origin_reference=order.reference,
                by=user,
                note=_("Cancellation of order %(reference)s") % {"reference": order.reference},
            )
    log_action(
        "order.cancellation_refunded",
        obj=order,
        user=user,
        fee_rate=str(rate),
        tokens=tokens,
        credit_note=credit_note.display_number if credit_note else "",
        coupon=coupon.number if coupon else "",
        coupon_amount=str(coupon.amount) if coupon else "",
        charge_withdrawn=withdrawn,
    )
    return Refund(rate, credit_note, coupon, tokens, withdrawn)


def _credit(invoice: Document, rate: Decimal, *, user: User | None, reason: str, reference: str) -> Document:
    existing = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE, related_document=invoice).first()
    if existing is not None:
        return existing
    full_reason = _("Cancellation of order %(reference)s: %(reason)s") % {
        "reference": reference,
        "reason": reason,
    }
    if not rate:
        return issue_credit_note(invoice, reason=full_reason, by=user)
    fee = round_cents(invoice.total_excl_vat * rate / 100)
    rate_text = f"{rate:f}".rstrip("0").rstrip(".")
    line = LineInput(
        description=_("Cancellation of order %(reference)s, less the %(rate)s %% cancellation fee")
        % {"reference": reference, "rate": rate_text},
        unit_price=invoice.total_excl_vat - fee,
    )
    return issue_credit_note(invoice, [line], reason=full_reason, by=user)
