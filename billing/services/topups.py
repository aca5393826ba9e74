"""Top-ups (LEDG-4, LEDG-5): tokens per product for Bulk purchase and Rebate accounts, euros for a
Current account.

- A token is one certificate of its product for the product's shortest period on sale (12 months
  for most products); it is priced with the Bulk purchase grid (services.pricing) at the tier of
  the quantity bought of that product.
- The euro balance counts amounts excluding VAT, as orders are debited at their price excl. VAT:
  a current account top-up entered including VAT is converted with the account's VAT rate.
- Confirming a top-up issues its invoice, or a quote when the customer asked for one, and emails
  it with the PDF to the account's invoice contact (the administrative contact), the billing
  contact chosen in copy. Nothing is credited yet: the top-up waits for its payment.
- `confirm_topup` (staff recorded the payment) credits the tokens or euros once, under the
  top-up's row lock, with the top-up's public id as the ledger reference; a quote is invoiced
  then. `cancel_topup` cancels a pending one and credits its unpaid invoice in full.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, Contact, User
from catalog.models import Product
from catalog.services import catalogue_queryset

from ..models import (
    Document,
    DocumentKind,
    DocumentStatus,
    PaymentMode,
    SepaMandate,
    TopUp,
    TopUpKind,
    TopUpLine,
    TopUpStatus,
)
from ..models.topups import TOPUP_PAYMENT_MODES
from .documents import DocumentError, LineInput, issue_credit_note, issue_invoice, issue_quote, mark_paid
from .late_payment import CASH_PAYMENT_MODES
from .ledger import credit_euros, credit_tokens
from .pricing import TOKEN_PRICING_FORMULA, best_discount, discounted, grid_rows
from .vat import CENT, ZERO, compute_totals, round_cents, vat_treatment

MAX_TOKENS_PER_LINE = 1000
MAX_LINES = 30
MAX_EUROS = Decimal("100000.00")
MIN_EUROS = Decimal("10.00")
# ACCT-6: while a late-payment statement is unpaid, only cash means are accepted.
CASH_MODES = CASH_PAYMENT_MODES


class TopUpError(ValueError):
    """A top-up that cannot be made or cannot take the state asked."""


# Pricing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    months: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return round_cents(self.unit_price * self.quantity)


def token_products() -> Any:
    """LEDG-4: the products tokens can be bought for: active, on sale, not free test products."""
    return catalogue_queryset(active_only=True).filter(is_test=False, periods__isnull=False).distinct()


def priced_lines(cart: dict[int, int]) -> list[CartLine]:
    """The cart's lines (product id -> tokens) priced with the Bulk purchase grid, in catalogue
    order. Products no longer on sale are left out. Three queries whatever the cart's size."""
    if not cart:
        return []
    rows = grid_rows(TOKEN_PRICING_FORMULA)
    lines = []
    for product in token_products().filter(pk__in=list(cart)):
        periods = list(product.periods.all())
        if not periods:
            continue
        base = periods[0]  # the shortest period: periods come ordered by months
        quantity = cart[product.pk]
        discount = best_discount(
            rows, brand_id=product.brand_id, formula=TOKEN_PRICING_FORMULA, quantity=quantity
        )
        lines.append(CartLine(product, quantity, base.months, discounted(base.price, discount)))
    return lines


def vat_rate(account: Account) -> Decimal:
    """The VAT rate of the account's invoices (its holder organisation's country and VAT number)."""
    holder = account.holder
    if holder is None:
        raise TopUpError(_("The account has no holder organisation to bill."))
    return vat_treatment(holder.country, holder.vat_number).rate


def euro_amounts(amount: Decimal, *, includes_vat: bool, rate: Decimal) -> tuple[Decimal, Decimal]:
    """LEDG-4: (excl. VAT, incl. VAT) of a current account top-up entered either way.

    Entered excl. VAT: the VAT is added. Entered incl. VAT: the amount excl. VAT is the one, to
    the cent, whose invoice total incl. VAT is nearest the amount entered (and not above it).
    """
    amount = Decimal(amount).quantize(CENT)
    if not includes_vat:
        return amount, compute_totals([(rate, amount)]).incl_vat
    excl = round_cents(amount * 100 / (100 + rate))
    while excl > CENT and compute_totals([(rate, excl)]).incl_vat > amount:
        excl -= CENT
    return excl, compute_totals([(rate, excl)]).incl_vat


# Documents and emails ---------------------------------------------------------------------------


def _document_lines(kind: str, lines: Sequence[CartLine], euros: Decimal, language: str) -> list[LineInput]:
    with translation.override(language):
        if kind == TopUpKind.EUROS:
            return [LineInput(gettext("Current account top-up"), Decimal("1"), euros)]
        return [
            LineInput(
                gettext("Tokens: %(product)s (%(months)s months)")
                % {"product": str(line.product), "months": line.months},
                Decimal(line.quantity),
                line.unit_price,
            )
            for line in lines
        ]


def _recipients(account: Account, contact: Contact | None, by: User | None) -> tuple[list[str], list[str]]:
    """LEDG-4: to the invoice contact (the administrative contact), the billing contact in copy."""
    admin = account.administrative_contact
    to = [admin.email] if admin is not None and admin.email else []
    cc = [contact.email] if contact is not None and contact.email else []
    if not to:
        to, cc = cc, []
    if not to and by is not None and by.email:
        to = [by.email]
    return to, [address for address in cc if address not in to]


def _email_document(topup: TopUp, document: Document) -> None:
    from ..mailing import send_pdf_mail_on_commit

    account = topup.account
    to, cc = _recipients(account, topup.billing_contact, topup.created_by)
    with translation.override(account.language):
        mode = str(PaymentMode(topup.payment_mode).label)
    send_pdf_mail_on_commit(
        "topup_document",
        to,
        {
            "account_name": account.name,
            "topup": topup.public_id,
            "number": document.display_number,
            "is_quote": document.kind == DocumentKind.QUOTE,
            "total_incl_vat": str(document.total_incl_vat),
            "payment_mode": mode,
            "kind": topup.kind,
        },
        account.language,
        cc=cc,
        attachments=[("document", document.pk)],
    )


# Workflow ---------------------------------------------------------------------------------------


def _check_payment(account: Account, payment_mode: str, mandate: SepaMandate | None, cash_only: bool) -> None:
    if payment_mode not in TOPUP_PAYMENT_MODES:
        raise TopUpError(_("Choose a payment mode."))
    if payment_mode == PaymentMode.DIRECT_DEBIT and mandate is None:
        raise TopUpError(_("Direct debit needs a validated SEPA mandate."))
    if cash_only and payment_mode not in CASH_MODES:
        raise TopUpError(_("While a late-payment statement is unpaid, pay by card or bank transfer."))


def create_topup(
    account: Account,
    *,
    kind: str,
    lines: Sequence[CartLine] = (),
    euros_excl_vat: Decimal | None = None,
    payment_mode: str,
    billing_contact: Contact | None,
    as_quote: bool,
    draft_key: str,
    by: User,
    mandate: SepaMandate | None = None,
    cash_only: bool = False,
    request: HttpRequest | None = None,
) -> TopUp:
    """LEDG-4: record the top-up, issue its invoice (or quote) and email it. Nothing is credited
    before payment (`confirm_topup`). A second call with the same `draft_key` (double click)
    returns the first top-up instead of making another."""
    _check_payment(account, payment_mode, mandate, cash_only)
    if kind == TopUpKind.TOKENS:
        if not lines:
            raise TopUpError(_("Your cart is empty."))
        amount = sum((line.total for line in lines), ZERO)
    elif kind == TopUpKind.EUROS:
        if euros_excl_vat is None or euros_excl_vat <= 0:
            raise TopUpError(_("Enter the amount of the top-up."))
        amount = Decimal(euros_excl_vat).quantize(CENT)
    else:
        raise TopUpError(f"Unknown top-up kind {kind!r}.")
    existing = TopUp.objects.filter(account=account, draft_key=draft_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            totals = compute_totals([(vat_rate(account), amount)])
            topup = TopUp.objects.create(
                account=account,
                kind=kind,
                amount_excl_vat=totals.excl_vat,
                amount_incl_vat=totals.incl_vat,
                payment_mode=payment_mode,
                billing_contact=billing_contact,
                as_quote=as_quote,
                draft_key=draft_key,
                sepa_mandate=mandate if payment_mode == PaymentMode.DIRECT_DEBIT else None,
                created_by=by,
            )
            TopUpLine.objects.bulk_create(
                TopUpLine(
                    topup=topup,
                    product=line.product,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total_excl_vat=line.total,
                )
                for line in lines
            )
            document_lines = _document_lines(kind, lines, amount, account.language)
            issue = issue_quote if as_quote else issue_invoice
            document = issue(account, document_lines, reference=topup.public_id, by=by)
            topup.document = document
            topup.invoice = None if as_quote else document
            topup.save(update_fields=["document", "invoice"])
            log_action(
                "billing.topup_created",
                account=account,
                user=by,
                obj=topup,
                request=request,
                kind=kind,
                amount_excl_vat=str(topup.amount_excl_vat),
                payment_mode=payment_mode,
                document=document.display_number,
                lines={line.product.code: line.quantity for line in lines},
            )
            _email_document(topup, document)
    except IntegrityError:
        # The same review page confirmed twice at once: the other request made the top-up.
        existing = TopUp.objects.filter(account=account, draft_key=draft_key).first()
        if existing is None:
            raise
        return existing
    except DocumentError as error:
        raise TopUpError(str(error)) from error
    return topup


def confirm_topup(
    topup: TopUp, by: User | None, *, payment_reference: str = "", paid_at: datetime.datetime | None = None
) -> TopUp:
    """LEDG-4: staff recorded the payment: the invoice is marked paid (a quote is invoiced as paid
    now) and the tokens or euros are credited with the top-up's public id as reference. Idempotent:
    a paid top-up is returned as it is and nothing is credited twice."""
    with transaction.atomic():
        topup = TopUp.objects.select_for_update().select_related("account").get(pk=topup.pk)
        if topup.status == TopUpStatus.PAID:
            return topup
        if topup.status == TopUpStatus.CANCELLED:
            raise TopUpError(_("A cancelled top-up cannot be paid."))
        account = topup.account
        lines = list(topup.lines.select_related("product__brand"))
        unpaid = topup.invoice
        if unpaid is None:
            # A quote: the invoice repeats its lines, at the VAT rate that applies today.
            quote = topup.document
            assert quote is not None  # every confirmed top-up has its invoice or quote
            document_lines = [
                LineInput(line.description, line.quantity, line.unit_price) for line in quote.lines.all()
            ]
            invoice = issue_invoice(
                account,
                document_lines,
                reference=topup.public_id,
                by=by,
                paid=True,
                payment_reference=payment_reference,
            )
            topup.invoice = invoice
        else:
            invoice = mark_paid(unpaid, by, paid_at=paid_at, payment_reference=payment_reference)
            if invoice.status != DocumentStatus.PAID:
                raise TopUpError(_("The invoice of this top-up cannot be paid."))
        for line in lines:
            credit_tokens(
                account, line.product, line.quantity, reference=topup.public_id, user=by, document=invoice
            )
        if topup.kind == TopUpKind.EUROS:
            credit_euros(account, topup.amount_excl_vat, reference=topup.public_id, user=by, document=invoice)
        topup.status = TopUpStatus.PAID
        topup.paid_at = paid_at or timezone.now()
        topup.paid_recorded_by = by
        topup.save(update_fields=["status", "paid_at", "paid_recorded_by", "invoice"])
        log_action(
            "billing.topup_paid",
            account=account,
            user=by,
            obj=topup,
            invoice=invoice.display_number,
            amount_excl_vat=str(topup.amount_excl_vat),
            payment_reference=payment_reference,
        )
    return topup


def cancel_topup(topup: TopUp, by: User | None, *, reason: str) -> TopUp:
    """LEDG-4: cancel a pending top-up (never paid); its unpaid invoice is credited in full.
    Idempotent for a cancelled top-up; a paid one cannot be cancelled here."""
    reason = (reason or "").strip()
    if not reason:
        raise TopUpError(_("Give the reason of the cancellation."))
    with transaction.atomic():
        topup = TopUp.objects.select_for_update().select_related("account").get(pk=topup.pk)
        if topup.status == TopUpStatus.CANCELLED:
            return topup
        if topup.status == TopUpStatus.PAID:
            raise TopUpError(
                _("A paid top-up cannot be cancelled; issue a credit note and adjust the balance.")
            )
        credit_note = None
        if topup.invoice_id is not None:
            invoice = Document.objects.defer("pdf").get(pk=topup.invoice_id)
            if invoice.status == DocumentStatus.ISSUED:
                credit_note = issue_credit_note(invoice, reason=reason, by=by)
        topup.status = TopUpStatus.CANCELLED
        topup.cancelled_at = timezone.now()
        topup.save(update_fields=["status", "cancelled_at"])
        log_action(
            "billing.topup_cancelled",
            account=topup.account,
            user=by,
            obj=topup,
            reason=reason,
            credit_note=credit_note.display_number if credit_note else "",
        )
    return topup


def topups_of(account: Account, *, pending_only: bool = False) -> QuerySet:
    """LEDG-5: the account's top-ups, newest first, with their lines, products and documents (no
    PDF), in three queries whatever their number."""
    topups = (
        TopUp.objects.filter(account=account)
        .select_related("document", "invoice", "created_by")
        .defer("document__pdf", "invoice__pdf")
        .prefetch_related("lines__product")
    )
    if pending_only:
        topups = topups.filter(status=TopUpStatus.PENDING)
    return topups
