"""Accounting menu: late-payment statements (ACCT-6), filtered by status, with their PDFs and the
cash-only restriction they bring while one is unpaid."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render

from accounts.access import get_for_account, right_required
from accounts.lists import configure_table
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import LatePaymentStatement
from ..money_forms import statement_filter
from ..money_tables import StatementTable
from ..pdf import pdf_response
from ..services.late_payment import account_statements, cash_only
from .accounting import PER_PAGE
from .common import export_url, table_csv_response


@right_required(Right.BILLING)
def late_payments(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACCT-6: the statements, all or by status (paid, awaiting payment, abandoned)."""
    form = statement_filter(request.GET)
    table = StatementTable(account_statements(request.user.account, form.selected))
    configure_table(request, table, PER_PAGE)
    return render(
        request,
        "billing/late_payments.html",
        {
            "form": form,
            "table": table,
            "cash_only": cash_only(request.user.account),
            "export_url": export_url("billing:late_payments_csv", request),
        },
    )


@right_required(Right.BILLING)
def late_payments_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    form = statement_filter(request.GET)
    return table_csv_response(
        StatementTable(account_statements(request.user.account, form.selected)),
        "late-payment-statements.csv",
        request,
    )


@right_required(Right.BILLING)
def late_payment_pdf(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ACCT-6: the stored PDF of one of the account's statements, as it was issued."""
    statement = get_for_account(LatePaymentStatement.objects.all(), request.user.account, public_id=public_id)
    if not statement.pdf:
        raise Http404
    return pdf_response(statement)
