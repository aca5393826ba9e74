"""Quotes in progress and their acceptance by the customer (ACCT-2).

`documents.sign_quote` records a signature staff received (a signed quote or purchase order sent
back). `accept_quote` is the customer's own online acceptance by a user with the billing right:
it signs the quote too, but audits it as `quote.accepted` with the user and their address, and
refuses an expired quote with a message saying so (user guide 10.2).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import DateField, F, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User

from .. import conf
from ..models import Document, DocumentKind, DocumentStatus
from .documents import DocumentError


class QuoteExpired(DocumentError):  # noqa: N818 (reads as the refusal it is)
    """ACCT-2: a quote past its validity cannot be accepted."""


def quote_expiry(quote: Document) -> datetime.date:
    """ACCT-2: the last day a quote may be accepted: its validity date, else its due date, else
    its issue date plus BILLING_QUOTE_VALIDITY_DAYS."""
    if quote.valid_until:
        return quote.valid_until
    if quote.due_date:
        return quote.due_date
    return quote.issue_date + datetime.timedelta(days=conf.quote_validity_days())


def expiry_expression() -> Any:
    """The SQL form of `quote_expiry`, to annotate or filter quotes."""
    # date + interval is a timestamp in PostgreSQL: cast it back to a date.
    fallback = Cast(
        F("issue_date") + Value(datetime.timedelta(days=conf.quote_validity_days())), output_field=DateField()
    )
    return Coalesce("valid_until", "due_date", fallback, output_field=DateField())


def open_quotes(account: Account, today: datetime.date | None = None) -> QuerySet[Document]:
    """ACCT-2: the account's quotes still open and not past their expiry, each with `expiry`."""
    today = today or timezone.localdate()
    return (
        Document.objects.filter(account=account, kind=DocumentKind.QUOTE, status=DocumentStatus.OPEN)
        .defer("pdf")
        .annotate(expiry=expiry_expression())
        .filter(expiry__gte=today)
        .order_by("expiry", "id")
    )


def accept_quote(quote: Document, by: User, *, request: HttpRequest | None = None) -> Document:
    """ACCT-2: the customer accepts an open quote online; it becomes signed. Idempotent.

    Raises QuoteExpired past the quote's expiry, DocumentError for anything that is not an open
    quote of the user's account.
    """
    with transaction.atomic():
        quote = Document.objects.select_for_update().defer("pdf").get(pk=quote.pk)
        if quote.kind != DocumentKind.QUOTE or by.account_id != quote.account_id:
            raise DocumentError(_("Only a quote of your account can be accepted."))
        if quote.status == DocumentStatus.SIGNED:
            return quote
        expiry = quote_expiry(quote)
        if quote.status == DocumentStatus.EXPIRED or expiry < timezone.localdate():
            raise QuoteExpired(
                _(
                    "Quote %(number)s expired on %(date)s and can no longer be accepted; ask us for a new quote."
                )
                % {"number": quote.display_number, "date": formats.date_format(expiry, "DATE_FORMAT")}
            )
        if quote.status != DocumentStatus.OPEN:
            raise DocumentError(
                _("Quote %(number)s can no longer be accepted.") % {"number": quote.display_number}
            )
        quote.status = DocumentStatus.SIGNED
        quote.signed_at = timezone.now()
        quote.save(update_fields=["status", "signed_at"])
        log_action(
            "quote.accepted",
            account=quote.account,
            user=by,
            obj=quote,
            request=request,
            number=quote.display_number,
            total_incl_vat=str(quote.total_incl_vat),
        )
    return quote
