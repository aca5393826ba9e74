"""Monthly payment formula (LEDG-1, JOBS-7): orders of a month go on one invoice on the 1st.

Billing knows no order: for a Monthly-payment account the orders side calls `register_charge`
when an order is placed (and `withdraw_charge` if it is cancelled before the invoice). On the 1st
`issue_monthly_invoices` gives each account one invoice, referenced MONTHLY-<year>-<month> of the
month it covers, for every charge dated before the 1st and not yet invoiced (a late charge of an
earlier month goes on the next invoice, never lost). The account's billing profile lock and the
invoice reference make a second run, or a second worker, issue nothing.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from ..models import Document, DocumentKind, PendingCharge
from .coupons import CENT
from .documents import LineInput, issue_invoice
from .ledger import lock_account

logger = logging.getLogger(__name__)


class ChargeError(ValueError):
    """A charge that cannot be registered or withdrawn as asked."""


def monthly_reference(month: datetime.date) -> str:
    """The reference of the invoice covering `month`: MONTHLY-2026-05."""
    return f"MONTHLY-{month:%Y-%m}"


def previous_month(today: datetime.date) -> datetime.date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ChargeError(_("An amount must be a number.")) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise ChargeError(_("An amount must be zero or positive, to the cent."))
    return amount.quantize(CENT)


def register_charge(
    account: Account,
    *,
    reference: str,
    description: str,
    amount: Any,
    date: datetime.date,
    by: User | None = None,
) -> PendingCharge:
    """LEDG-1: put an order of a Monthly-payment account on its next monthly invoice (`amount` EUR
    excl. VAT, dated `date`). Idempotent per reference; the same reference with another amount is
    refused."""
    if account.formula != Account.Formula.MONTHLY:
        raise ChargeError(_("Only a Monthly payment account is invoiced at the end of the month."))
    reference = (reference or "").strip()
    description = (description or "").strip()
    if not reference or len(reference) > 60:
        raise ChargeError(_("A charge needs a reference of at most 60 characters."))
    if not description:
        raise ChargeError(_("A charge needs a description."))
    amount = _amount(amount)
    with transaction.atomic():
        lock_account(account)
        existing = PendingCharge.objects.filter(account=account, reference=reference).first()
        if existing is not None:
            if existing.amount != amount:
                raise ChargeError(
                    _("Reference %(reference)s was already charged with a different amount.")
                    % {"reference": reference}
                )
            return existing
        charge = PendingCharge.objects.create(
            account=account,
            reference=reference,
            description=description[:200],
            amount=amount,
            date=date,
            created_by=by,
        )
        log_action(
            "billing.charge_registered",
            account=account,
            user=by,
            obj=charge,
            reference=reference,
            amount=str(amount),
            date=date.isoformat(),
        )
    return charge


def withdraw_charge(account: Account, reference: str, *, by: User | None = None) -> PendingCharge:
    """LIFE-6: a cancelled order's charge leaves the next monthly invoice. Idempotent; an invoiced
    charge cannot be withdrawn (a credit note corrects the invoice)."""
    with transaction.atomic():
        lock_account(account)
        charge = (
            PendingCharge.objects.select_for_update().filter(account=account, reference=reference).first()
        )
        if charge is None:
            raise ChargeError(_("No charge for %(reference)s.") % {"reference": reference})
        if charge.withdrawn_at:
            return charge
        if charge.invoiced_document_id:
            raise ChargeError(_("This charge is already invoiced; issue a credit note instead."))
        charge.withdrawn_at = timezone.now()
        charge.save(update_fields=["withdrawn_at"])
        log_action(
            "billing.charge_withdrawn",
            account=account,
            user=by,
            obj=charge,
            reference=reference,
            amount=str(charge.amount),
        )
    return charge


def uninvoiced_charges(account: Account, before: datetime.date | None = None) -> QuerySet[PendingCharge]:
    """LEDG-2: charges still waiting for a monthly invoice (dated before `before` when given)."""
    charges = PendingCharge.objects.filter(
        account=account, invoiced_document__isnull=True, withdrawn_at__isnull=True
    )
    if before is not None:
        charges = charges.filter(date__lt=before)
    return charges.order_by("date", "id")


def _line(charge: PendingCharge) -> LineInput:
    return LineInput(
        f"{charge.date:%Y-%m-%d} {charge.reference} – {charge.description}"[:300], Decimal("1"), charge.amount
    )


def invoice_month(account: Account, today: datetime.date) -> Document | None:
    """The monthly invoice of the month before `today` for one account: issued once, None when there
    is nothing to invoice or it exists already."""
    month = previous_month(today)
    reference = monthly_reference(month)
    with transaction.atomic():
        lock_account(account)
        if Document.objects.filter(
            account=account, kind=DocumentKind.INVOICE, source_reference=reference
        ).exists():
            return None
        charges = list(uninvoiced_charges(account, before=today.replace(day=1)).select_for_update())
        if not charges:
            return None
        invoice = issue_invoice(account, [_line(charge) for charge in charges], reference=reference)
        for charge in charges:
            charge.invoiced_document = invoice
            charge.save(update_fields=["invoiced_document"])
        log_action(
            "billing.monthly_invoice_issued",
            account=account,
            obj=invoice,
            number=invoice.display_number,
            month=f"{month:%Y-%m}",
            charges=len(charges),
            total_excl_vat=str(invoice.total_excl_vat),
        )
    return invoice


def issue_monthly_invoices(today: datetime.date | None = None) -> list[Document]:
    """JOBS-7: on the 1st, one invoice per account for last month's charges; returns the invoices.

    Across every account: the caller runs it under scopes_disabled(). Any day of the month it does
    the same (a missed run catches up); a second run issues nothing.
    """
    today = today or timezone.localdate()
    account_ids = (
        PendingCharge.objects.filter(
            invoiced_document__isnull=True, withdrawn_at__isnull=True, date__lt=today.replace(day=1)
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )
    invoices = []
    for account in Account.objects.filter(pk__in=list(account_ids)).order_by("pk"):
        try:
            invoice = invoice_month(account, today)
        except Exception:  # one account (no holder organisation...) must not stop the others
            logger.exception("Monthly invoice of account %s failed", account.pk)
            continue
        if invoice is not None:
            invoices.append(invoice)
    return invoices
