"""Account info: the statement of the account's formula (LEDG-1, LEDG-2) and its CSV exports.

- Bulk purchase (and Rebate, which may buy tokens too): token balance per product, each product's
  movements with the running balance on its own page;
- Current account: the euro balance and every movement with the balance after it;
- Rebate and Monthly payment: the invoices and credit notes of the period (the ACCT-1 list).
"""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from accounts.access import right_required
from accounts.lists import configure_table
from accounts.models import Account, Right
from accounts.typing import AuthenticatedRequest
from catalog.models import Product

from ..formulas import EURO_FORMULAS, TOKEN_FORMULAS, explanation
from ..services.ledger import euro_balance
from ..services.statements import euro_movements, token_movements, token_summary
from ..tables import EuroStatementTable, TokenBalanceTable, TokenStatementTable
from .accounting import PER_PAGE, document_table, filtered_documents
from .common import export_url, formula_required, table_csv_response

INVOICE_FORMULAS = (Account.Formula.REBATE, Account.Formula.MONTHLY)


@right_required(Right.BILLING)
def statements(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: the statement of the account's formula, with the formula's name and explanation."""
    account = request.user.account
    context = {
        "account": account,
        "formula": account.get_formula_display(),
        "explanation": explanation(account),
    }
    if account.formula in TOKEN_FORMULAS:
        balances = TokenBalanceTable(token_summary(account), prefix="tokens-")
        configure_table(request, balances, PER_PAGE)
        context.update(
            token_table=balances, tokens_csv_url=export_url("account_info:statement_tokens_csv", request)
        )
    if account.formula in EURO_FORMULAS:
        movements = EuroStatementTable(euro_movements(account))
        configure_table(request, movements, PER_PAGE)
        context.update(
            balance=euro_balance(account),
            euro_table=movements,
            euros_csv_url=export_url("account_info:statement_euros_csv", request),
        )
    if account.formula in INVOICE_FORMULAS:
        form, documents = filtered_documents(request)
        table = document_table(request, form, documents, exclude=("select",))
        context.update(
            form=form, document_table=table, documents_csv_url=export_url("billing:documents_csv", request)
        )
    return render(request, "billing/statements.html", context)


@right_required(Right.BILLING)
@formula_required(*EURO_FORMULAS)
def statement_euros_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: the euro movements with their running balance, as CSV."""
    return table_csv_response(
        EuroStatementTable(euro_movements(request.user.account)), "euro-statement.csv", request
    )


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
def statement_tokens_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-2: every token movement with its product's running balance, as CSV."""
    return table_csv_response(
        TokenStatementTable(token_movements(request.user.account)), "token-statement.csv", request
    )


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
def statement_product(request: AuthenticatedRequest, product_code: str) -> HttpResponseBase:
    """LEDG-2: one product's token balance, purchases and uses, with the running balance."""
    account = request.user.account
    product = get_object_or_404(Product, code=product_code)
    table = TokenStatementTable(token_movements(account, product), exclude=("product",))
    configure_table(request, table, PER_PAGE)
    summary = token_summary(account).filter(product=product).first()
    return render(
        request,
        "billing/statement_product.html",
        {
            "product": product,
            "table": table,
            "summary": summary,
            "formula": account.get_formula_display(),
            "export_url": export_url("account_info:statement_product_csv", request, product.code),
        },
    )


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
def statement_product_csv(request: AuthenticatedRequest, product_code: str) -> HttpResponseBase:
    product = get_object_or_404(Product, code=product_code)
    table = TokenStatementTable(token_movements(request.user.account, product), exclude=("product",))
    return table_csv_response(table, f"token-statement-{product.code}.csv", request)
