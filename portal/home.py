"""NAV-3: what the home page shows, each block only to the users whose rights allow it.

Each block comes from the service of the app that owns its data; this module only gathers them.
What would read rows that grow with the account (the renewals coming up, the global top-up, the
orders awaiting approval) is kept per account in the cache (`accounts.account_cache`, dropped when
an order, a certificate or a token movement changes, at most 5 minutes old otherwise), so the page
costs the same number of queries, over the same few rows, at 100,000 orders as at 1,000 (issue 17).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import translation

from accounts import account_cache
from accounts.models import Account, Right
from accounts.typing import AccountUser
from billing.services.coupons import coupons_for_home
from billing.services.promos import promo_codes_for_home
from billing.services.sepa import active_mandate
from billing.topups import prefill_url
from catalog.models import Brand, News, ProductSheet
from orders.services.renewal import renewal_candidates
from orders.services.topup_needs import lacking_tokens

from .menu import badge_counts

RENEWALS_SHOWN = 5
SHEETS_SHOWN = 3


def home_blocks(user: AccountUser) -> dict[str, Any]:
    account = user.account
    language = translation.get_language() or "en"
    blocks: dict[str, Any] = {
        "news": list(News.objects.filter(Q(language="") | Q(language=language[:2]), active=True)[:5]),
        "brands": list(Brand.objects.filter(active=True).exclude(delivery_time="")),
        # NAV-3, AUTO-5: the newest product sheets of the documentation space, with the guide.
        "sheets": list(
            ProductSheet.objects.filter(
                Q(language="") | Q(language=language[:2]), active=True, brand__active=True
            )
            .select_related("brand")
            .order_by("-updated_at", "-pk")[:SHEETS_SHOWN]
        ),
    }
    if user.has_right(Right.BILLING):
        blocks["promo_codes"] = promo_codes_for_home(account)
        blocks["coupons"] = coupons_for_home(account)
        blocks["mandate"] = active_mandate(account)
        blocks["show_billing"] = True
        lacking = account_cache.cached(account.pk, "home:lacking_tokens", lambda: lacking_tokens(account))
        if lacking:
            blocks["global_topup"] = {"url": prefill_url(lacking), "tokens": sum(lacking.values())}
    if user.has_right(Right.TECHNICAL) or user.has_right(Right.COMMERCIAL):
        blocks["renewals"] = account_cache.cached(account.pk, "home:renewals", lambda: _renewals(account))
        blocks["can_renew"] = user.has_right(Right.TECHNICAL)
    if user.has_right(Right.APPROVAL):
        blocks["awaiting_approval"] = badge_counts(user).get("orders:approval", 0)
    return blocks


def _renewals(account: Account) -> list[dict[str, Any]]:
    """The first RENEWALS_SHOWN orders in their renewal window: what the block shows of them."""
    return [
        {"reference": order.reference, "common_name": order.common_name, "renewal_end": order.renewal_end}
        for order in renewal_candidates(account).prefetch_related(None)[:RENEWALS_SHOWN]
    ]
