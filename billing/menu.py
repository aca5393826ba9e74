"""The menu entries of billing's customer pages, as data for portal/menu.py (NAV-1), and the
counts of its badges (NAV-2).

An entry shows when the user holds one of its rights and the account's formula is one of its
formulas (None: every formula). The views check the same rights and formulas, so a hidden
entry's URL refuses too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Right

from .formulas import EURO_FORMULAS, TOKEN_FORMULAS
from .models import Document, DocumentKind, DocumentStatus
from .services.quotes import expiry_expression


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    rights: tuple[Right, ...]
    formulas: tuple[str, ...] | None = None  # None: every formula

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def allows(self, user) -> bool:
        account = getattr(user, "account", None)
        if account is None:
            return False
        if self.formulas is not None and account.formula not in self.formulas:
            return False
        return any(user.has_right(right) for right in self.rights)


# Section "Account info", under /account/ (LEDG-2, LEDG-3). The statement adapts to the formula:
# token balances (bulk purchase, rebate), euro balance (current account), invoices (rebate, monthly).
ACCOUNT_INFO = [
    MenuEntry(_("Account statement"), "account_info:statements", (Right.BILLING,)),
    MenuEntry(_("Consumption statistics"), "account_info:consumption", (Right.BILLING,)),
]

# Section "Accounting", under /accounting/ (ACCT-1 to ACCT-3).
ACCOUNTING = [
    MenuEntry(_("Invoices and credit notes"), "billing:documents", (Right.BILLING,)),
    MenuEntry(_("Quotes"), "billing:quotes", (Right.BILLING,)),
    MenuEntry(_("Unpaid invoices"), "billing:unpaid", (Right.BILLING,)),
]

# Pages reached from the statement, not from the menu, and the formulas they exist for.
FORMULA_PAGES = {
    "account_info:statement_product": TOKEN_FORMULAS,
    "account_info:statement_product_csv": TOKEN_FORMULAS,
    "account_info:statement_tokens_csv": TOKEN_FORMULAS,
    "account_info:statement_euros_csv": EURO_FORMULAS,
}


def entries_for(user, entries: list[MenuEntry]) -> list[MenuEntry]:
    """The entries of `entries` the user may see (rights and formula)."""
    return [entry for entry in entries if entry.allows(user)]


def badge_counts(account: Account) -> dict[str, int]:
    """NAV-2: {url name: count} of open quotes and unpaid invoices (one query).

    Runs inside the account's scope, as the menu of a request does.
    """
    today = timezone.localdate()
    counts = Document.objects.filter(account=account).annotate(expiry=expiry_expression()).aggregate(
        quotes=Count("id", filter=Q(kind=DocumentKind.QUOTE, status=DocumentStatus.OPEN, expiry__gte=today)),
        unpaid=Count("id", filter=Q(kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED)),
    )
    return {"billing:quotes": counts["quotes"], "billing:unpaid": counts["unpaid"]}
