"""Money received for an invoice (ACCT-3, ORD-9): bank transfers and cheques recorded by staff,
card payments confirmed by the payment provider (billing.payments).

`preview_receipt` says what recording an amount would do (the staff confirmation step) and refuses
what `record_receipt` would refuse; `record_receipt` books it: in a transaction, the invoice row is
locked (select_for_update), the state re-checked, an append-only `Receipt` written and audited, and
the invoice marked paid once nothing remains due. A partial payment leaves the rest due. The
settlement hooks then run in the same transaction: orders registers the one that moves the order
paid (orders.apps), since billing knows no order (STYLE.md floors).

Lock order: every path that changes an order and its invoice locks the order first, then the
invoice (`record_payment`, cancellation). A receipt starts from the invoice, so before locking it the
lock hooks run: orders registers the one that locks the order the invoice bills. Locking in the
other order would let a receipt and a staff "record payment" on the same order deadlock.

A card receipt carries the provider's transaction id: a replayed notification finds it and books
nothing (`ReceiptOutcome.duplicate`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User

from ..conf import seller
from ..models import Coupon, CouponState, Document, DocumentKind, DocumentStatus, Receipt, ReceiptMethod
from .documents import credited_total, mark_paid
from .vat import ZERO

CENT = Decimal("0.01")

# (invoice, user, payment reference, request) → None; called once an invoice is paid by receipts.
SettlementHook = Callable[[Document, "User | None", str, "HttpRequest | None"], None]
_settlement_hooks: list[SettlementHook] = []


def register_settlement_hook(hook: SettlementHook) -> None:
    """Let an upper app act when receipts pay an invoice (orders moves the order it bills)."""
    if hook not in _settlement_hooks:
        _settlement_hooks.append(hook)


# (invoice) → None; called in the receipt's transaction before the invoice row is locked.
LockHook = Callable[[Document], None]
_lock_hooks: list[LockHook] = []


def register_lock_hook(hook: LockHook) -> None:
    """Let an upper app lock its own rows before a receipt locks the invoice (orders locks the
    order it bills, keeping the order → invoice lock order of every other path)."""
    if hook not in _lock_hooks:
        _lock_hooks.append(hook)


class ReceiptError(ValueError):
    """A receipt that cannot be recorded; the message is for the person recording it."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def euros(amount: Decimal) -> str:
    """18.43 → "18.43 €" in English, "18,43 €" in French (the active language)."""
    return f"{floatformat(amount, '2g')}\u00a0€"


def received_total(invoice: Document) -> Decimal:
    return Receipt.objects.filter(document=invoice).aggregate(total=Sum("amount"))["total"] or ZERO


def coupons_applied(invoice: Document) -> Decimal:
    """ACCT-4: what deposit coupons paid of the invoice (booked under its source reference)."""
    if not invoice.source_reference:
        return ZERO
    total = Coupon.objects.filter(
        account_id=invoice.account_id, state=CouponState.USED, used_reference=invoice.source_reference
    ).aggregate(total=Sum("applied_amount"))["total"]
    return min(total or ZERO, invoice.total_incl_vat)


def amount_due(invoice: Document) -> Decimal:
    """What the invoice still awaits, incl. VAT: 0 once paid or cancelled."""
    if invoice.kind != DocumentKind.INVOICE or invoice.status != DocumentStatus.ISSUED:
        return ZERO
    due = (
        invoice.total_incl_vat - credited_total(invoice) - coupons_applied(invoice) - received_total(invoice)
    )
    return max(due, ZERO)


def parse_amount(value: Any) -> Decimal:
    """A positive amount in euros to the cent, or ReceiptError."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ReceiptError(_("The amount must be a number of euros, such as 120.50.")) from None
    if not amount.is_finite():
        raise ReceiptError(_("The amount must be a number of euros, such as 120.50."))
    if amount <= 0:
        raise ReceiptError(_("The amount received must be more than zero."))
    if amount != amount.quantize(CENT):
        raise ReceiptError(_("The amount has at most two decimals (cents)."))
    return amount.quantize(CENT)


@dataclass(frozen=True)
class ReceiptPreview:
    """What recording `amount` on `invoice` will do (the confirmation step shows it)."""

    invoice: Document
    amount: Decimal
    due_before: Decimal
    due_after: Decimal

    @property
    def settles(self) -> bool:
        return self.due_after == ZERO


@dataclass(frozen=True)
class ReceiptOutcome:
    receipt: Receipt
    invoice: Document
    due_after: Decimal
    duplicate: bool = False

    @property
    def settles(self) -> bool:
        return self.due_after == ZERO


def _check(invoice: Document, amount: Decimal, received_on: datetime.date) -> ReceiptPreview:
    if invoice.kind != DocumentKind.INVOICE:
        raise ReceiptError(_("Only an invoice can receive a payment."))
    if invoice.status == DocumentStatus.PAID:
        raise ReceiptError(_("Invoice %(number)s is already paid.") % {"number": invoice.display_number})
    if invoice.status != DocumentStatus.ISSUED:
        raise ReceiptError(
            _("Invoice %(number)s is cancelled: it takes no payment.") % {"number": invoice.display_number}
        )
    if received_on > timezone.localdate():
        raise ReceiptError(_("The date received cannot be in the future."))
    due = amount_due(invoice)
    if amount > due:
        raise ReceiptError(
            _("%(amount)s is more than invoice %(number)s still awaits (%(due)s).")
            % {"amount": euros(amount), "number": invoice.display_number, "due": euros(due)}
        )
    return ReceiptPreview(invoice=invoice, amount=amount, due_before=due, due_after=due - amount)


def preview_receipt(invoice: Document, amount: Any, received_on: datetime.date) -> ReceiptPreview:
    """Check a receipt without booking it; raises ReceiptError as `record_receipt` would."""
    return _check(invoice, parse_amount(amount), received_on)


def record_receipt(
    invoice: Document,
    *,
    amount: Any,
    received_on: datetime.date,
    method: str,
    reference: str,
    by: User | None,
    provider_transaction: str = "",
    request: HttpRequest | None = None,
) -> ReceiptOutcome:
    """ACCT-3: book money received for `invoice`; mark it paid when nothing remains due.

    Idempotent for a provider transaction: the same transaction id returns the first receipt with
    `duplicate=True` and changes nothing. Raises ReceiptError (bad amount, paid or cancelled
    invoice, more than due, date in the future)."""
    if method not in ReceiptMethod.values:
        raise ReceiptError(_("Choose how the money was received."))
    value = parse_amount(amount)
    reference = (reference or "").strip()[:100]
    with transaction.atomic():
        for lock in _lock_hooks:
            lock(invoice)
        locked = Document.objects.select_for_update().defer("pdf").get(pk=invoice.pk)
        if provider_transaction:
            first = Receipt.objects.filter(provider_transaction=provider_transaction).first()
            if first is not None:
                return ReceiptOutcome(
                    receipt=first, invoice=locked, due_after=amount_due(locked), duplicate=True
                )
        preview = _check(locked, value, received_on)
        receipt = Receipt.objects.create(
            account_id=locked.account_id,
            document=locked,
            method=method,
            amount=value,
            received_on=received_on,
            reference=reference,
            provider_transaction=provider_transaction[:100],
            created_by=by if by is not None and by.is_authenticated else None,
        )
        log_action(
            "billing.receipt_recorded",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            number=locked.display_number,
            method=method,
            amount=str(value),
            received_on=received_on.isoformat(),
            payment_reference=reference,
            remaining=str(preview.due_after),
        )
        if preview.settles:
            paid_at = timezone.make_aware(datetime.datetime.combine(received_on, datetime.time(12)))
            label = reference or str(ReceiptMethod(method).label)
            locked = mark_paid(locked, by, paid_at=min(paid_at, timezone.now()), payment_reference=label)
            for hook in _settlement_hooks:
                hook(locked, by, label, request)
    return ReceiptOutcome(receipt=receipt, invoice=locked, due_after=preview.due_after)


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay an unpaid invoice by transfer or cheque (ORD-9): the seller's bank details and
    postal address, and the reference to quote."""

    payee: str
    iban: str
    bic: str
    address_lines: list[str]
    reference: str
    invoice_number: str
    invoice_public_id: str
    due: Decimal
    received: Decimal

    @property
    def due_text(self) -> str:
        return euros(self.due)

    @property
    def received_text(self) -> str:
        return euros(self.received)


def seller_details() -> dict[str, Any]:
    """The seller's payee name, bank details and postal address (BILLING_SELLER)."""
    data = seller()
    return {
        "payee": data["name"],
        "iban": data["iban"],
        "bic": data["bic"],
        "address_lines": [data["name"], data["address"], f"{data['postal_code']} {data['city']}".strip()],
    }


def payment_instructions(invoice: Document) -> PaymentInstructions | None:
    """What the customer needs to pay `invoice` (None when it awaits nothing)."""
    due = amount_due(invoice)
    if due == ZERO:
        return None
    return PaymentInstructions(
        **seller_details(),
        reference=invoice.source_reference or invoice.display_number,
        invoice_number=invoice.display_number,
        invoice_public_id=invoice.public_id,
        due=due,
        received=received_total(invoice),
    )


def date_text(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")
