"""Late-payment statements, RIR (ACCT-6), and the cash-only restriction they bring.

An issued invoice still unpaid after its due date gets one statement: the penalties (three times
the legal interest rate, BILLING_LEGAL_INTEREST_RATE, per year, pro rata of the days late on the
amount still due incl. VAT) and the fixed 40 EUR recovery indemnity, frozen on the day it is
issued. Penalties and the indemnity are damages, not a sale: no VAT. While a statement awaits
payment the account pays orders in cash only (card or transfer, ORD-9): the statement sets
`BillingProfile.late_payment_block`; the last statement paid (or abandoned by staff) lifts it.
Paying the invoice itself is `billing.services.documents.mark_paid`.
"""

from __future__ import annotations

import datetime
import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from .. import conf, money_conf
from ..models import (
    RIR_SERIES,
    BillingProfile,
    Document,
    DocumentKind,
    DocumentStatus,
    LatePaymentStatement,
    PaymentMode,
    StatementStatus,
)
from .ledger import lock_account
from .notify import mail_administrative_contact
from .numbering import next_number
from .pdf import html_to_pdf
from .receipts import amount_due

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
DAYS_IN_YEAR = Decimal(365)
# ACCT-6, ORD-9: what an account under a late-payment statement may still pay with.
CASH_PAYMENT_MODES: tuple[str, ...] = (PaymentMode.CARD, PaymentMode.TRANSFER)


class LatePaymentError(ValueError):
    """A statement that cannot be issued or closed as asked."""


def cash_only(account: Account) -> bool:
    """ACCT-6: the account may only pay cash (card, transfer) at order time."""
    return bool(
        BillingProfile.objects.filter(account=account).values_list("late_payment_block", flat=True).first()
    )


def allowed_payment_modes(account: Account, modes: Any) -> list[str]:
    """ORD-9: `modes` less those refused while the account is restricted to cash."""
    if not cash_only(account):
        return list(modes)
    return [mode for mode in modes if mode in CASH_PAYMENT_MODES]


def amount_still_due(invoice: Document) -> Decimal:
    """What remains due on an invoice incl. VAT, after its credit notes, the deposit coupons used for
    its order and the payments received (`receipts.amount_due`): penalties run on that alone."""
    return amount_due(invoice)


def penalties(amount_due: Decimal, days_late: int, legal_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(penalty rate a year, penalties): 3 × the legal rate, pro rata of `days_late` over 365 days,
    rounded half-up to the cent."""
    rate = legal_rate * money_conf.PENALTY_MULTIPLIER
    amount = (amount_due * rate / 100 * Decimal(days_late) / DAYS_IN_YEAR).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return rate, amount


def render_statement_pdf(statement: LatePaymentStatement) -> bytes:
    """The statement's PDF, in its language (WeasyPrint, like every document: PLAT-4)."""
    with translation.override(statement.language):
        html = render_to_string(
            "billing/pdf/late_payment_statement.html",
            {
                "document": statement,
                "statement": statement,
                "invoice": statement.invoice,
                "seller": statement.seller,
                "recovery_indemnity": conf.RECOVERY_INDEMNITY_EUR,
            },
        )
    return html_to_pdf(html)


def issue_statement(
    invoice: Document, *, today: datetime.date | None = None, by: User | None = None
) -> LatePaymentStatement:
    """ACCT-6: the statement of an overdue invoice, issued once (a second call returns it).

    Sets the account's cash-only restriction and emails the administrative contact.
    """
    return _issue(invoice, today or timezone.localdate(), by)[0]


def _issue(invoice: Document, today: datetime.date, by: User | None) -> tuple[LatePaymentStatement, bool]:
    with transaction.atomic():
        invoice = Document.objects.select_for_update().defer("pdf").get(pk=invoice.pk)
        existing = LatePaymentStatement.objects.filter(invoice=invoice).first()
        if existing is not None:
            return existing, False
        if invoice.kind != DocumentKind.INVOICE or invoice.status != DocumentStatus.ISSUED:
            raise LatePaymentError(_("Only an unpaid invoice can get a late-payment statement."))
        if invoice.due_date is None or invoice.due_date >= today:
            raise LatePaymentError(
                _("Invoice %(number)s is not overdue.") % {"number": invoice.display_number}
            )
        due = amount_still_due(invoice)
        if due <= 0:
            raise LatePaymentError(
                _("Nothing is due on invoice %(number)s.") % {"number": invoice.display_number}
            )
        days_late = (today - invoice.due_date).days
        legal_rate = money_conf.legal_interest_rate()
        rate, penalty = penalties(due, days_late, legal_rate)
        indemnity = Decimal(conf.RECOVERY_INDEMNITY_EUR).quantize(CENT)
        profile = lock_account(invoice.account)
        number = next_number(RIR_SERIES, today.year)
        statement = LatePaymentStatement.objects.create(
            account=invoice.account,
            year=today.year,
            number=number,
            display_number=Document.format_number(RIR_SERIES, today.year, number),
            invoice=invoice,
            issue_date=today,
            language=invoice.language,
            seller=conf.seller(),
            invoice_due_date=invoice.due_date,
            days_late=days_late,
            amount_due=due,
            legal_interest_rate=legal_rate,
            penalty_rate=rate,
            penalties=penalty,
            indemnity=indemnity,
            total=penalty + indemnity,
        )
        statement.pdf = render_statement_pdf(statement)
        statement.save(update_fields=["pdf"])
        log_action(
            "late_payment.statement_issued",
            account=invoice.account,
            user=by,
            obj=statement,
            number=statement.display_number,
            invoice=invoice.display_number,
            days_late=days_late,
            amount_due=str(due),
            penalties=str(penalty),
            indemnity=str(indemnity),
            total=str(statement.total),
        )
        if not profile.late_payment_block:
            profile.late_payment_block = True
            profile.save(update_fields=["late_payment_block", "updated_at"])
            log_action(
                "billing.cash_only_set",
                account=invoice.account,
                user=by,
                obj=profile,
                statement=statement.display_number,
            )
        mail_administrative_contact(
            invoice.account,
            "late_payment_statement",
            {
                "number": statement.display_number,
                "invoice": invoice.display_number,
                "due_date": invoice.due_date.isoformat(),
                "total": str(statement.total),
                "amount_due": str(due),
                "url": settings.SITE_URL + reverse("billing:late_payments"),
            },
        )
    return statement, True


def create_late_payment_statements(today: datetime.date | None = None) -> int:
    """JOBS-7: a statement for every overdue invoice in deferred payment (a payment term: due after
    its issue day) that has none; returns how many were issued.

    Across every account: the caller runs it under scopes_disabled(). One invoice never gets two
    statements (checked under the invoice's lock, and a unique key), so a second run issues none.
    """
    today = today or timezone.localdate()
    overdue = (
        Document.objects.filter(
            kind=DocumentKind.INVOICE,
            status=DocumentStatus.ISSUED,
            due_date__lt=today,
            # Deferred payment only (guide 10.5): an invoice due on its issue day is a cash
            # payment at order time (card, cheque, transfer); its order waits for the money.
            due_date__gt=F("issue_date"),
            late_payment_statement__isnull=True,
        )
        .order_by("due_date", "id")
        .values_list("pk", flat=True)
    )
    issued = 0
    for pk in list(overdue):
        invoice = Document.objects.defer("pdf").get(pk=pk)
        try:
            _statement, created = _issue(invoice, today, None)
        except LatePaymentError:
            continue  # paid or credited meanwhile
        except Exception:  # one bad invoice (a PDF error...) must not stop the others
            logger.exception("Late-payment statement for invoice %s failed", invoice.display_number)
            continue
        issued += created
    return issued


def _close(
    statement: LatePaymentStatement,
    status: str,
    by: User | None,
    *,
    payment_reference: str = "",
    request: HttpRequest | None = None,
) -> LatePaymentStatement:
    with transaction.atomic():
        statement = LatePaymentStatement.objects.select_for_update().defer("pdf").get(pk=statement.pk)
        if statement.status == status:
            return statement
        if statement.status != StatementStatus.AWAITING_PAYMENT:
            raise LatePaymentError(
                _("Statement %(number)s is already closed.") % {"number": statement.display_number}
            )
        statement.status = status
        statement.paid_at = timezone.now()
        statement.payment_reference = payment_reference[:100]
        statement.closed_by = by
        statement.save(update_fields=["status", "paid_at", "payment_reference", "closed_by"])
        action = (
            "late_payment.statement_paid"
            if status == StatementStatus.PAID
            else "late_payment.statement_abandoned"
        )
        log_action(
            action,
            account=statement.account,
            user=by,
            obj=statement,
            request=request,
            number=statement.display_number,
            total=str(statement.total),
            payment_reference=payment_reference,
        )
        _lift_if_settled(statement.account, by)
    return statement


def _lift_if_settled(account: Account, by: User | None) -> None:
    profile = lock_account(account)
    if not profile.late_payment_block:
        return
    if LatePaymentStatement.objects.filter(account=account, status=StatementStatus.AWAITING_PAYMENT).exists():
        return
    profile.late_payment_block = False
    profile.save(update_fields=["late_payment_block", "updated_at"])
    log_action("billing.cash_only_lifted", account=account, user=by, obj=profile)


def mark_statement_paid(
    statement: LatePaymentStatement,
    by: User | None,
    *,
    payment_reference: str = "",
    request: HttpRequest | None = None,
) -> LatePaymentStatement:
    """ACCT-6 (staff): the statement was paid; the cash-only restriction is lifted when no other
    statement awaits payment. Only the statement: the invoice is paid by documents.mark_paid."""
    return _close(statement, StatementStatus.PAID, by, payment_reference=payment_reference, request=request)


def abandon_statement(
    statement: LatePaymentStatement, by: User | None, *, request: HttpRequest | None = None
) -> LatePaymentStatement:
    """ACCT-6 (staff): the penalties are waived; lifts the restriction like a payment."""
    return _close(statement, StatementStatus.ABANDONED, by, request=request)


def account_statements(account: Account, status: str = "") -> QuerySet[LatePaymentStatement]:
    """ACCT-6: the account's statements (without their PDFs), filterable by status."""
    statements = (
        LatePaymentStatement.objects.filter(account=account)
        .defer("pdf")
        .select_related("invoice")
        .defer("invoice__pdf")
    )
    if status:
        statements = statements.filter(status=status)
    return statements.order_by("-issue_date", "-id")
