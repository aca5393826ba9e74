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
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Right, User

from .formulas import EURO_FORMULAS, TOKEN_FORMULAS
from .models import Document, DocumentKind, DocumentStatus
from .services.quotes import expiry_expression


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    rights: tuple[Right, ...]
    formulas: tuple[str, ...] | None = None  # None: every formula

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def allows(self, user: User) -> bool:
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
    MenuEntry(_("Rebates"), "account_info:rebates", (Right.BILLING,), (Account.Formula.REBATE,)),  # LEDG-2
    # LEDG-4, LEDG-5 top-ups and ADM-5 SEPA mandate (h17).
    MenuEntry(_("Top up"), "account_info:topup", (Right.BILLING,), TOKEN_FORMULAS),
    MenuEntry(_("Top up"), "account_info:topup_euros", (Right.BILLING,), EURO_FORMULAS),
    MenuEntry(_("Top up for renewals"), "account_info:topup_renewals", (Right.BILLING,), TOKEN_FORMULAS),
    MenuEntry(_("Top-ups"), "account_info:topup_list", (Right.BILLING,), TOKEN_FORMULAS + EURO_FORMULAS),
    MenuEntry(_("SEPA mandate"), "account_info:sepa", (Right.BILLING,)),
    MenuEntry(_("Billing address"), "account_info:billing_address", (Right.BILLING,)),
]

# Section "Accounting", under /accounting/ (ACCT-1 to ACCT-3).
ACCOUNTING = [
    MenuEntry(_("Invoices and credit notes"), "billing:documents", (Right.BILLING,)),
    MenuEntry(_("Quotes"), "billing:quotes", (Right.BILLING,)),
    MenuEntry(_("Unpaid invoices"), "billing:unpaid", (Right.BILLING,)),
    MenuEntry(_("Deposit coupons"), "billing:coupons", (Right.BILLING,)),  # ACCT-4
    MenuEntry(_("Promo codes"), "billing:promo_codes", (Right.BILLING,)),  # ACCT-5
    MenuEntry(_("Late-payment statements"), "billing:late_payments", (Right.BILLING,)),  # ACCT-6
]

# Section "Pricing", under /pricing/ (PRICE-1): open to every user of the account; an entry needs a
# right to show, so it lists them all (the view only asks for an account user) (h17).
PRICING = [
    MenuEntry(_("Pricing"), "pricing:pricing", tuple(Right)),
]

# Pages reached from the statement, not from the menu, and the formulas they exist for.
FORMULA_PAGES = {
    "account_info:statement_product": TOKEN_FORMULAS,
    "account_info:statement_product_csv": TOKEN_FORMULAS,
    "account_info:statement_tokens_csv": TOKEN_FORMULAS,
    "account_info:statement_euros_csv": EURO_FORMULAS,
    # LEDG-2 rebates: the page (also a menu entry) and its two recovery actions.
    "account_info:rebates": (Account.Formula.REBATE,),
    "account_info:rebates_promo_code": (Account.Formula.REBATE,),
    "account_info:rebates_invoice": (Account.Formula.REBATE,),
    # LEDG-4, LEDG-5 top-ups (h17): the menu entries above and the steps they lead to.
    "account_info:topup": TOKEN_FORMULAS,
    "account_info:topup_add": TOKEN_FORMULAS,
    "account_info:topup_remove": TOKEN_FORMULAS,
    "account_info:topup_renewals": TOKEN_FORMULAS,
    "account_info:topup_euros": EURO_FORMULAS,
    "account_info:topup_payment": TOKEN_FORMULAS + EURO_FORMULAS,
    "account_info:topup_review": TOKEN_FORMULAS + EURO_FORMULAS,
    "account_info:topup_confirm": TOKEN_FORMULAS + EURO_FORMULAS,
    "account_info:topup_list": TOKEN_FORMULAS + EURO_FORMULAS,
    "account_info:topup_detail": TOKEN_FORMULAS + EURO_FORMULAS,
}


def entries_for(user: User, entries: list[MenuEntry]) -> list[MenuEntry]:
    """The entries of `entries` the user may see (rights and formula)."""
    return [entry for entry in entries if entry.allows(user)]


def badge_counts(account: Account) -> dict[str, int]:
    """NAV-2: {url name: count} of open quotes and unpaid invoices (one query).

    Runs inside the account's scope, as the menu of a request does.
    """
    today = timezone.localdate()
    counts = (
        Document.objects.filter(account=account)
        .annotate(expiry=expiry_expression())
        .aggregate(
            quotes=Count(
                "id", filter=Q(kind=DocumentKind.QUOTE, status=DocumentStatus.OPEN, expiry__gte=today)
            ),
            unpaid=Count("id", filter=Q(kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED)),
        )
    )
    return {"billing:quotes": counts["quotes"], "billing:unpaid": counts["unpaid"]}
