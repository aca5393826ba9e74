"""Starting a card payment and booking the provider's verdict (ORD-9, ACCT-3).

`start_card_payment` asks the configured provider for the URL to send the payer to, for what the
invoice still awaits. `apply_result` books a verified verdict: a paid one becomes a card receipt
(billing.services.receipts.record_receipt, under the invoice's row lock) keyed by the provider's
transaction id, so the return and the notification of one payment, or a replay of either, book it
once; a declined one is audited and books nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User

from ..models import Document, DocumentKind, ReceiptMethod
from ..services.receipts import ReceiptError, ReceiptOutcome, amount_due, record_receipt
from .providers import CardPayment, ProviderResult, get_provider


def start_card_payment(invoice: Document, *, return_url: str, notify_url: str) -> str:
    """The provider URL where the payer pays what `invoice` still awaits; ReceiptError if nothing."""
    due = amount_due(invoice)
    if due <= 0:
        raise ReceiptError(_("Invoice %(number)s awaits no payment.") % {"number": invoice.display_number})
    payment = CardPayment(
        invoice=invoice.public_id,
        number=invoice.display_number,
        amount=due,
        currency=invoice.currency,
        description=_("Invoice %(number)s") % {"number": invoice.display_number},
        return_url=return_url,
        notify_url=notify_url,
        language=get_language() or "en",
    )
    return get_provider().start(payment)


@dataclass(frozen=True)
class CardOutcome:
    invoice: Document
    paid: bool
    receipt: ReceiptOutcome | None = None

    @property
    def duplicate(self) -> bool:
        return self.receipt is not None and self.receipt.duplicate


def apply_result(
    result: ProviderResult,
    *,
    by: User | None,
    account_id: int | None = None,
    request: HttpRequest | None = None,
) -> CardOutcome:
    """Book a verified verdict. `account_id` restricts the invoice to one account (the payer's
    return); a notification, sent by the provider's server, runs across accounts (its caller opens
    scopes_disabled). Raises Document.DoesNotExist for an unknown invoice, ReceiptError when the
    invoice can no longer take the payment."""
    invoices = Document.objects.defer("pdf").filter(public_id=result.invoice, kind=DocumentKind.INVOICE)
    if account_id is not None:
        invoices = invoices.filter(account_id=account_id)
    invoice = invoices.get()
    if not result.paid:
        log_action(
            "billing.card_payment_declined",
            account=invoice.account,
            user=by,
            obj=invoice,
            request=request,
            number=invoice.display_number,
            transaction=result.transaction,
        )
        return CardOutcome(invoice=invoice, paid=False)
    receipt = record_receipt(
        invoice,
        amount=result.amount,
        received_on=timezone.localdate(),
        method=ReceiptMethod.CARD,
        reference=result.transaction,
        provider_transaction=result.transaction,
        by=by,
        request=request,
    )
    return CardOutcome(invoice=receipt.invoice, paid=True, receipt=receipt)
