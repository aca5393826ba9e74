"""Accounting menu (ACCT-1 to ACCT-3): invoices and credit notes by period with their PDFs, a zip
and a CSV; quotes in progress and their acceptance; unpaid invoices with the overdue ones in red.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import account_cache
from accounts.access import get_for_account, right_required
from accounts.lists import DeferredJoinData, configure_table
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..forms import DocumentFilterForm
from ..models import Document, DocumentKind, DocumentStatus
from ..services.accounting import (
    MAX_ARCHIVE_DOCUMENTS,
    accounting_documents,
    listed_documents,
    selected_documents,
    unpaid_figures,
    unpaid_invoices,
    write_archive,
)
from ..services.documents import DocumentError
from ..services.quotes import accept_quote, open_quotes, quote_expiry
from ..services.receipts import seller_details
from ..tables import DocumentTable, QuoteTable, UnpaidTable
from .common import export_url, table_csv_response

PER_PAGE = 25


def filtered_documents(
    request: AuthenticatedRequest,
) -> tuple[DocumentFilterForm, QuerySet[Document, Document]]:
    """The filter form of ACCT-1 and the documents it selects (none while it has errors)."""
    form = DocumentFilterForm.from_query(request.GET, timezone.localdate())
    if form.is_valid():
        data = form.cleaned_data
        documents = accounting_documents(
            request.user.account, date_from=data["date_from"], date_to=data["date_to"], kind=data["kind"]
        )
    else:
        documents = Document.objects.none()
    return form, documents


# The document's fields the table's cells read (issue 17, load: a page's rows skip the seller,
# buyer and payment fields; the PDF was already left out).
SHOWN_FIELDS = (
    "public_id",
    "display_number",
    "kind",
    "issue_date",
    "source_reference",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "status",
)


def document_table(
    request: AuthenticatedRequest, form: DocumentFilterForm, rows: QuerySet[Document], **kwargs: Any
) -> DocumentTable:
    """ACCT-1 (and the invoice statement, LEDG-2): the paginated table of the filtered documents.

    Issue 17: the number of rows comes from the account's cache (any saved or deleted document of
    the account drops it: billing.signals), not a COUNT over the period on every page; a page reads
    its ids first over the `document_account_listed` index, then its rows (accounts.lists)."""
    if form.is_valid():
        period = "documents-count:" + ":".join(
            str(form.cleaned_data[k]) for k in ("date_from", "date_to", "kind")
        )
        account = request.user.account
        table = DocumentTable(
            DeferredJoinData(
                rows,
                lambda: account_cache.cached(account.pk, period, rows.order_by().count),
                page_rows=lambda ids: listed_documents(account.pk, ids, SHOWN_FIELDS),
            ),
            **kwargs,
        )
    else:
        table = DocumentTable(rows, **kwargs)
    configure_table(request, table, PER_PAGE)
    return table


@right_required(Right.BILLING)
def documents(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-1: invoices and credit notes of a period (the current year by default)."""
    form, rows = filtered_documents(request)
    return render(
        request,
        "billing/documents.html",
        {
            "form": form,
            "table": document_table(request, form, rows),
            "export_url": export_url("billing:documents_csv", request),
        },
    )


@right_required(Right.BILLING)
def documents_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-1: the listed documents as CSV, with the columns of the page."""
    form, rows = filtered_documents(request)
    if not form.is_valid():
        messages.error(request, _("Correct the filter before exporting."))
        return redirect(export_url("billing:documents", request))
    return table_csv_response(DocumentTable(rows), "invoices-and-credit-notes.csv", request)


@right_required(Right.BILLING)
@require_POST
def documents_zip(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-1: a zip of the selected invoices and credit notes. Ids that are not the account's own
    invoices or credit notes are ignored; a selection with none of them is 404."""
    public_ids = request.POST.getlist("documents")
    back = request.POST.get("next", "")
    back = back if back.startswith("/accounting/") and not back.startswith("//") else "billing:documents"
    if not public_ids:
        messages.error(request, _("Select at least one document to download."))
        return redirect(back)
    if len(public_ids) > MAX_ARCHIVE_DOCUMENTS:
        messages.error(
            request, _("Select at most %(count)s documents at once.") % {"count": MAX_ARCHIVE_DOCUMENTS}
        )
        return redirect(back)
    archive, count = write_archive(selected_documents(request.user.account, public_ids))
    if count == 0:
        archive.close()
        raise Http404
    filename = f"documents-{timezone.localdate():%Y%m%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")


@right_required(Right.BILLING)
def quotes(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-2: the quotes in progress: number, date, amount and expiry."""
    table = QuoteTable(open_quotes(request.user.account))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "billing/quotes.html",
        {
            "table": table,
            "export_url": export_url("billing:quotes_csv", request),
        },
    )


@right_required(Right.BILLING)
def quotes_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    return table_csv_response(QuoteTable(open_quotes(request.user.account)), "quotes.csv", request)


def _quote(request: AuthenticatedRequest, public_id: str) -> Document:
    return get_for_account(
        Document.objects.filter(kind=DocumentKind.QUOTE).defer("pdf"),
        request.user.account,
        public_id=public_id,
    )


@right_required(Right.BILLING)
def quote_accept(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ACCT-2: the confirmation page (GET) and the acceptance (POST) of one quote."""
    quote = _quote(request, public_id)
    expiry = quote_expiry(quote)
    if request.method == "POST":
        try:
            quote = accept_quote(quote, request.user, request=request)
        except DocumentError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Quote %(number)s is accepted. Thank you, we will process it.")
                % {"number": quote.display_number},
            )
            return redirect("billing:quotes")
        return redirect("billing:quote_accept", public_id=quote.public_id)
    expired = quote.status == DocumentStatus.EXPIRED or (
        quote.status == DocumentStatus.OPEN and expiry < timezone.localdate()
    )
    return render(
        request,
        "billing/quote_accept.html",
        {
            "quote": quote,
            "expiry": expiry,
            "expired": expired,
            "lines": list(quote.lines.all()),
            "can_accept": quote.status == DocumentStatus.OPEN and not expired,
        },
    )


@right_required(Right.BILLING)
def unpaid(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-3: unpaid invoices with the total due; overdue ones in red.

    Issue 17: the page's ids are read over the `document_unpaid_due` index, `amount_due` computed for
    those rows only; the count and the totals come from the account's cache (`unpaid_figures`)."""
    account = request.user.account
    figures = unpaid_figures(account, timezone.localdate())
    table = UnpaidTable(DeferredJoinData(unpaid_invoices(account), lambda: int(figures["count"])))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "billing/unpaid.html",
        {
            "table": table,
            "totals": {"total": figures["total"], "overdue": figures["overdue"]},
            "export_url": export_url("billing:unpaid_csv", request),
            "seller": seller_details(),
        },
    )


@right_required(Right.BILLING)
def unpaid_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    return table_csv_response(
        UnpaidTable(unpaid_invoices(request.user.account)), "unpaid-invoices.csv", request
    )
