"""Issue invoices, quotes, credit notes and delivery notes; record payments and signatures
(ACCT-1, ACCT-2, ACCT-3, PLAT-4).

Every document is created, numbered and rendered to PDF in one transaction: a failure anywhere
gives its number back (no gap). The document copies the seller (settings) and the buyer (the
account's holder organisation) as they are at issue time, and is rendered in the account's
language. Orders and top-ups hand billing the lines to charge; billing knows no certificate.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.models import Account, User

from .. import clock, conf
from ..models import SERIES, BillingProfile, Document, DocumentKind, DocumentLine, DocumentStatus
from .numbering import next_number
from .pdf import render_document_pdf
from .vat import ZERO, compute_totals, line_total, vat_treatment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DocumentError(ValueError):
    """A document that cannot be issued or a state it cannot take."""


@dataclass(frozen=True)
class LineInput:
    """One line to bill. `unit_price` excludes VAT; `vat_rate` None means the buyer's rate."""

    description: str
    quantity: Decimal | int = Decimal("1")
    unit_price: Decimal | int = ZERO
    vat_rate: Decimal | None = None


@dataclass(frozen=True)
class _Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    total: Decimal


def _decimal(value: Any, what: StrOrPromise) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DocumentError(_("%(what)s must be a number.") % {"what": what}) from None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise DocumentError(_("%(what)s must be given to the cent.") % {"what": what})
    return number


def _prepare(lines: Sequence[LineInput], default_rate: Decimal, *, sign: int = 1) -> list[_Line]:
    if not lines:
        raise DocumentError(_("A document needs at least one line."))
    prepared = []
    for line in lines:
        description = (line.description or "").strip()
        if not description:
            raise DocumentError(_("Each line needs a description."))
        quantity = _decimal(line.quantity, _("A quantity"))
        if quantity <= 0:
            raise DocumentError(_("A quantity must be positive."))
        unit_price = _decimal(line.unit_price, _("A unit price")) * sign
        rate = default_rate if line.vat_rate is None else _decimal(line.vat_rate, _("A VAT rate"))
        if not ZERO <= rate < 100:
            raise DocumentError(_("A VAT rate must be between 0 and 100."))
        prepared.append(
            _Line(description[:300], quantity, unit_price, rate, line_total(quantity, unit_price))
        )
    return prepared


def _language(code: str) -> str:
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


BILLING_ADDRESS_KEYS = ("name", "address", "postal_code", "city", "country")


def default_billing_address(account: Account) -> dict[str, str] | None:
    """ADM-5: the account's default billing address when it differs from the head office, else None."""
    profile = BillingProfile.objects.filter(account=account).first()
    if profile is None or not (profile.billing_address and profile.billing_city):
        return None
    return {
        "name": profile.billing_name,
        "address": profile.billing_address,
        "postal_code": profile.billing_postal_code,
        "city": profile.billing_city,
        "country": profile.billing_country,
    }


def _buyer(account: Account, billing_address: Mapping[str, str] | None = None) -> dict:
    """The buyer a document copies: the account holder (its identity and VAT treatment) at the
    billing address of the order (ORD-2) or of the account (ADM-5) when one is given."""
    holder = account.holder
    if holder is None:
        raise DocumentError(_("The account has no holder organisation to bill."))
    address = billing_address or default_billing_address(account) or {}
    return {
        "buyer_name": address.get("name") or holder.name,
        "buyer_address": address.get("address") or holder.address,
        "buyer_postal_code": address.get("postal_code") or holder.postal_code,
        "buyer_city": address.get("city") or holder.city,
        "buyer_country": (address.get("country") or holder.country).upper(),
        "buyer_registration_number": holder.registration_number,
        "buyer_vat_number": holder.vat_number,
    }


def _last_issue_date(series: str, year: int) -> datetime.date | None:
    with scopes_disabled():  # the sequence is the seller's, across every account
        return (
            Document.objects.filter(series=series, year=year)
            .order_by("-number")
            .values_list("issue_date", flat=True)
            .first()
        )


def _create(
    account: Account,
    kind: DocumentKind,
    lines: list[_Line],
    *,
    fields: dict,
    by: User | None,
    audit: dict | None = None,
) -> Document:
    """Number, save, render and audit one document, all in the caller's transaction."""
    totals = compute_totals((line.vat_rate, line.total) for line in lines)
    issue_date = fields.pop("issue_date")
    series = SERIES[kind]
    number = next_number(series, issue_date.year)
    # A replayed history (billing.clock) keeps one continuous chronological sequence (art. 242
    # nonies A): under the sequence's lock, a replayed document may not be dated before the last one
    # of its series. Documents of the day's work carry the dates their callers give (a rebate dated
    # at its quarter's end), as they always did.
    last = None
    if clock.replayed():
        last = _last_issue_date(series, issue_date.year)
    if last is not None and issue_date < last:
        raise DocumentError(
            _("A document of this series is already dated %(date)s: a new one cannot be dated before it.")
            % {"date": _date_text(last)}
        )
    document = Document.objects.create(
        account=account,
        kind=kind,
        series=series,
        year=issue_date.year,
        number=number,
        display_number=Document.format_number(series, issue_date.year, number),
        issue_date=issue_date,
        seller=conf.seller(),
        currency="EUR",
        total_excl_vat=totals.excl_vat,
        total_vat=totals.vat,
        total_incl_vat=totals.incl_vat,
        created_by=by,
        **fields,
    )
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            total_excl_vat=line.total,
        )
        for position, line in enumerate(lines, start=1)
    )
    document.pdf = render_document_pdf(document)
    document.save(update_fields=["pdf"])
    log_action(
        f"billing.{kind}_issued",
        account=account,
        user=by,
        obj=document,
        number=document.display_number,
        total_incl_vat=str(document.total_incl_vat),
        reference=document.source_reference,
        **(audit or {}),
    )
    return document


def _date_text(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _due_days(account: Account, due_days: int | None) -> int:
    if due_days is None:
        due_days = (
            BillingProfile.objects.filter(account=account).values_list("payment_term_days", flat=True).first()
        )
    if due_days is None:
        due_days = conf.payment_term_days()
    if not 0 <= due_days <= conf.MAX_PAYMENT_TERM_DAYS:
        raise DocumentError(
            _("A payment term is between 0 and %(max)s days.") % {"max": conf.MAX_PAYMENT_TERM_DAYS}
        )
    return due_days


def _common(
    account: Account,
    lines: Sequence[LineInput],
    reference: str,
    billing_address: Mapping[str, str] | None = None,
) -> tuple[dict, list[_Line], str]:
    """Buyer, language, VAT and checked lines of a new invoice, quote or delivery note."""
    buyer = _buyer(account, billing_address)
    # The VAT treatment follows the legal entity billed (its country and VAT number), not the
    # address the invoice is sent to.
    holder = account.holder
    treatment = vat_treatment(holder.country.upper() if holder else "", buyer["buyer_vat_number"])
    prepared = _prepare(lines, treatment.rate)
    if sum((line.total for line in prepared), ZERO) < 0:
        raise DocumentError(_("A document's total cannot be negative; issue a credit note instead."))
    language = _language(account.language)
    with translation.override(language):
        mention = str(treatment.mention) if any(line.vat_rate == 0 for line in prepared) else ""
    fields = {
        **buyer,
        "language": language,
        "vat_mention": mention,
        "source_reference": (reference or "")[:60],
    }
    return fields, prepared, language


def issue_invoice(
    account: Account,
    lines: Sequence[LineInput],
    *,
    reference: str = "",
    due_days: int | None = None,
    by: User | None = None,
    paid: bool = False,
    payment_reference: str = "",
    billing_address: Mapping[str, str] | None = None,
) -> Document:
    """ACCT-1: issue an invoice for `lines`; `paid` when it was paid at order time (card...).
    `billing_address` (ORD-2: the order's, if different) overrides the account's default."""
    fields, prepared, language = _common(account, lines, reference, billing_address)
    issue_date = clock.today()
    term = 0 if paid else _due_days(account, due_days)
    due_date = issue_date + datetime.timedelta(days=term)
    with translation.override(language):
        if paid:
            terms = gettext("Paid on %(date)s.") % {"date": _date_text(issue_date)}
        else:
            terms = gettext("Payment due by %(date)s (%(days)s days from the invoice date).") % {
                "date": _date_text(due_date),
                "days": term,
            }
    fields.update(
        issue_date=issue_date,
        due_date=due_date,
        payment_terms=terms,
        status=DocumentStatus.PAID if paid else DocumentStatus.ISSUED,
        paid_at=clock.now() if paid else None,
        payment_reference=payment_reference[:100],
    )
    with transaction.atomic():
        return _create(account, DocumentKind.INVOICE, prepared, fields=fields, by=by, audit={"paid": paid})


def issue_quote(
    account: Account,
    lines: Sequence[LineInput],
    *,
    reference: str = "",
    due_days: int | None = None,
    by: User | None = None,
    billing_address: Mapping[str, str] | None = None,
) -> Document:
    """ACCT-2, ORD-9: a quote, open until it is signed or expires (BILLING_QUOTE_VALIDITY_DAYS)."""
    fields, prepared, language = _common(account, lines, reference, billing_address)
    issue_date = clock.today()
    term = _due_days(account, due_days)
    with translation.override(language):
        terms = gettext("Payment within %(days)s days of the invoice date.") % {"days": term}
    fields.update(
        issue_date=issue_date,
        valid_until=issue_date + datetime.timedelta(days=conf.quote_validity_days()),
        payment_terms=terms,
        status=DocumentStatus.OPEN,
    )
    with transaction.atomic():
        return _create(account, DocumentKind.QUOTE, prepared, fields=fields, by=by)


def issue_delivery_note(
    account: Account, lines: Sequence[LineInput], *, reference: str = "", by: User | None = None
) -> Document:
    """PLAT-4: a delivery note listing what was delivered (its PDF shows no prices)."""
    fields, prepared, _lang = _common(account, lines, reference)
    fields.update(issue_date=clock.today(), status=DocumentStatus.ISSUED, vat_mention="")
    with transaction.atomic():
        return _create(account, DocumentKind.DELIVERY_NOTE, prepared, fields=fields, by=by)


def credited_total(invoice: Document) -> Decimal:
    """The amount incl. VAT already credited on an invoice (a positive number)."""
    credits = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE, related_document=invoice)
    return -sum(credits.values_list("total_incl_vat", flat=True), ZERO)


def issue_credit_note(
    invoice: Document, lines: Sequence[LineInput] | None = None, *, reason: str, by: User | None = None
) -> Document:
    """ACCT-1: correct an invoice by a credit note, in full (`lines` None) or for the lines given.

    The credit note copies the invoice's buyer, language, VAT rates and mention, and its amounts are
    negative. Credits may not exceed the invoice; once fully credited the invoice is cancelled.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(_("A credit note needs a reason."))
    with transaction.atomic():
        # Lock the invoice: two credit notes at once must not credit more than it.
        invoice = Document.objects.select_for_update().defer("pdf").get(pk=invoice.pk)
        if invoice.kind != DocumentKind.INVOICE:
            raise DocumentError(_("Only an invoice can be credited."))
        if invoice.status == DocumentStatus.CANCELLED:
            raise DocumentError(_("This invoice is already fully credited."))
        if lines is None:
            prepared = [
                _Line(line.description, line.quantity, -line.unit_price, line.vat_rate, -line.total_excl_vat)
                for line in invoice.lines.all()
            ]
        else:
            rates = set(invoice.lines.values_list("vat_rate", flat=True))
            if len(rates) != 1 and any(line.vat_rate is None for line in lines):
                raise DocumentError(_("Give each line's VAT rate: the invoice has several."))
            prepared = _prepare(lines, next(iter(rates)), sign=-1)
            if any(line.total >= 0 for line in prepared):
                raise DocumentError(_("Each credited line must have a positive amount."))
        totals = compute_totals((line.vat_rate, line.total) for line in prepared)
        remaining = invoice.total_incl_vat - credited_total(invoice)
        if -totals.incl_vat > remaining:
            raise DocumentError(
                _("The credit note exceeds what remains of the invoice (%(remaining)s EUR).")
                % {"remaining": remaining}
            )
        fields = {
            name: getattr(invoice, name)
            for name in (
                "buyer_name",
                "buyer_address",
                "buyer_postal_code",
                "buyer_city",
                "buyer_country",
                "buyer_registration_number",
                "buyer_vat_number",
                "language",
                "vat_mention",
                "source_reference",
            )
        }
        with translation.override(invoice.language):
            terms = gettext("Credit note for invoice %(number)s.") % {"number": invoice.display_number}
        fields.update(
            issue_date=clock.today(),
            related_document=invoice,
            reason=reason[:2000],
            status=DocumentStatus.ISSUED,
            payment_terms=terms,
        )
        credit_note = _create(
            invoice.account,
            DocumentKind.CREDIT_NOTE,
            prepared,
            fields=fields,
            by=by,
            audit={"invoice": invoice.display_number, "reason": reason},
        )
        if -totals.incl_vat == remaining:
            invoice.status = DocumentStatus.CANCELLED
            invoice.save(update_fields=["status"])
            log_action(
                "billing.invoice_cancelled",
                account=invoice.account,
                user=by,
                obj=invoice,
                number=invoice.display_number,
                credit_note=credit_note.display_number,
            )
    return credit_note


def mark_paid(
    document: Document,
    by: User | None = None,
    *,
    paid_at: datetime.datetime | None = None,
    payment_reference: str = "",
) -> Document:
    """ACCT-3: record an invoice's payment. Idempotent: a paid invoice stays as it was."""
    with transaction.atomic():
        invoice = Document.objects.select_for_update().defer("pdf").get(pk=document.pk)
        if invoice.kind != DocumentKind.INVOICE:
            raise DocumentError(_("Only an invoice can be paid."))
        if invoice.status == DocumentStatus.PAID:
            return invoice
        if invoice.status != DocumentStatus.ISSUED:
            raise DocumentError(_("A cancelled invoice cannot be paid."))
        invoice.status = DocumentStatus.PAID
        invoice.paid_at = paid_at or clock.now()
        invoice.payment_reference = payment_reference[:100]
        invoice.save(update_fields=["status", "paid_at", "payment_reference"])
        log_action(
            "billing.invoice_paid",
            account=invoice.account,
            user=by,
            obj=invoice,
            number=invoice.display_number,
            payment_reference=invoice.payment_reference,
        )
    return invoice


def sign_quote(quote: Document, by: User | None = None) -> Document:
    """ACCT-2: the customer accepted the quote (signed purchase order received). Idempotent."""
    with transaction.atomic():
        quote = Document.objects.select_for_update().defer("pdf").get(pk=quote.pk)
        if quote.kind != DocumentKind.QUOTE:
            raise DocumentError(_("Only a quote can be signed."))
        if quote.status == DocumentStatus.SIGNED:
            return quote
        if (
            quote.status != DocumentStatus.OPEN
            or quote.valid_until is None  # every quote is issued with one
            or quote.valid_until < clock.today()
        ):
            raise DocumentError(_("This quote has expired."))
        quote.status = DocumentStatus.SIGNED
        quote.signed_at = clock.now()
        quote.save(update_fields=["status", "signed_at"])
        log_action(
            "billing.quote_signed", account=quote.account, user=by, obj=quote, number=quote.display_number
        )
    return quote


def expire_quotes(today: datetime.date | None = None) -> int:
    """ACCT-2: open quotes past their validity become expired; returns how many.

    A scheduled job across every account: the caller runs it under scopes_disabled().
    """
    today = today or clock.today()
    expired = 0
    for pk in Document.objects.filter(
        kind=DocumentKind.QUOTE, status=DocumentStatus.OPEN, valid_until__lt=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            quote = Document.objects.select_for_update().defer("pdf").get(pk=pk)
            if quote.status != DocumentStatus.OPEN:
                continue
            quote.status = DocumentStatus.EXPIRED
            quote.save(update_fields=["status"])
            log_action("billing.quote_expired", account=quote.account, obj=quote, number=quote.display_number)
            expired += 1
    return expired
