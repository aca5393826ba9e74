"""What each billing formula shows (LEDG-1, NAV-1): which ledgers an account has, and the one-line
explanation its statement page gives.

Bulk purchase accounts buy tokens per product; a Rebate account "also gets the features of the
bulk purchase account" (user guide 8.1 and 9.1.3: its statement has a token view), so both have
a token statement. Only the Current account formula has a euro balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from accounts.models import Account

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Formula = Account.Formula

TOKEN_FORMULAS: tuple[str, ...] = (Formula.BULK, Formula.REBATE)
EURO_FORMULAS: tuple[str, ...] = (Formula.CURRENT,)

EXPLANATIONS: dict[str, StrOrPromise] = {
    Formula.REBATE: _(
        "You pay each order; rebates on your purchases are paid back each quarter, on your invoice or "
        "as a promo code, for the last four closed quarters."
    ),
    Formula.BULK: _(
        "You buy tokens per product in advance; each certificate uses one token. Tokens are not "
        "refundable and never expire."
    ),
    Formula.CURRENT: _(
        "You credit a euro balance in advance; each certificate is paid from it and invoiced."
    ),
    Formula.MONTHLY: _(
        "You order at the prices of your formula; one invoice on the 1st of each month covers the "
        "orders of the month before."
    ),
}


def has_tokens(account: Account) -> bool:
    """LEDG-1: the account's formula has a token ledger (bulk purchase, rebate)."""
    return account.formula in TOKEN_FORMULAS


def has_euro_balance(account: Account) -> bool:
    """LEDG-1: the account's formula has a euro balance (current account)."""
    return account.formula in EURO_FORMULAS


def explanation(account: Account) -> StrOrPromise:
    """The one-line explanation of the account's formula (LEDG-1)."""
    return EXPLANATIONS.get(account.formula, "")
