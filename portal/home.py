"""NAV-3: what the home page shows, each block only to the users whose rights allow it.

Each block comes from the service of the app that owns its data; this module only gathers them.
What would read rows that grow with the account (the renewals coming up, the global top-up, the
orders awaiting approval) is kept per account in the cache (`accounts.account_cache`, dropped when
an order, a certificate or a token movement changes, at most 5 minutes old otherwise), so the page
costs the same number of queries, over the same few rows, at 100,000 orders as at 1,000 (issue 17).

Under load every query counts (issue 17: about 1 ms of Python each), so the rest is kept too:
- the account's billing blocks (promo codes, deposit coupons, the SEPA mandate) in the account's
  cached figures, per day (days left, expiry), dropped when a promo code, a coupon or a mandate of
  the account is saved or deleted (`billing.signals`);
- the staff's catalogue blocks (news, delivery times, product sheets), the same for every account,
  per language, dropped when staff save or delete a news item, a brand or a product sheet
  (`forget_catalogue`, connected in `portal.apps`), at most 5 minutes old otherwise.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Model, Q
from django.utils import timezone, translation

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


CATALOGUE_TTL = 300  # seconds: the longest a catalogue block is kept without a change seen


def _catalogue_key(language: str) -> str:
    return f"home:catalogue:{language}"


def forget_catalogue(sender: type[Model], **kwargs: Any) -> None:
    """post_save/post_delete of News, Brand, ProductSheet: every language's blocks are dropped."""
    cache.delete_many([_catalogue_key(code) for code, _name in settings.LANGUAGES])


def _catalogue(language: str) -> dict[str, list[dict[str, Any]]]:
    """The news, delivery times and newest product sheets (NAV-3, AUTO-5) in `language`."""
    news = News.objects.filter(Q(language="") | Q(language=language), active=True)[:5]
    sheets = (
        ProductSheet.objects.filter(Q(language="") | Q(language=language), active=True, brand__active=True)
        .select_related("brand")
        .order_by("-updated_at", "-pk")[:SHEETS_SHOWN]
    )
    return {
        "news": [{"title": n.title, "published_at": n.published_at, "body": n.body} for n in news],
        "brands": [
            {"name": b.name, "delivery_time": b.delivery_time}
            for b in Brand.objects.filter(active=True).exclude(delivery_time="")
        ],
        "sheets": [
            {"pk": s.pk, "title": s.title, "brand_name": s.brand.name, "updated_at": s.updated_at}
            for s in sheets
        ],
    }


def _billing(account: Account, today: datetime.date) -> dict[str, Any]:
    mandate = active_mandate(account)
    return {
        "promo_codes": promo_codes_for_home(account, today),
        "coupons": coupons_for_home(account, today),
        "mandate": {"reference": mandate.reference} if mandate else None,
    }


def home_blocks(user: AccountUser) -> dict[str, Any]:
    account = user.account
    language = (translation.get_language() or "en")[:2]
    key = _catalogue_key(language)
    catalogue = cache.get(key)
    if catalogue is None:
        catalogue = _catalogue(language)
        cache.set(key, catalogue, CATALOGUE_TTL)
    blocks: dict[str, Any] = dict(catalogue)
    if user.has_right(Right.BILLING):
        today = timezone.localdate()
        blocks.update(
            account_cache.cached(
                account.pk, f"home:billing:{today.isoformat()}", lambda: _billing(account, today)
            )
        )
        blocks["show_billing"] = True
        topup = account_cache.cached(account.pk, "home:global_topup", lambda: _global_topup(account))
        if topup:
            blocks["global_topup"] = topup
    if user.has_right(Right.TECHNICAL) or user.has_right(Right.COMMERCIAL):
        blocks["renewals"] = account_cache.cached(account.pk, "home:renewals", lambda: _renewals(account))
        blocks["can_renew"] = user.has_right(Right.TECHNICAL)
    if user.has_right(Right.APPROVAL):
        blocks["awaiting_approval"] = badge_counts(user).get("orders:approval", 0)
    return blocks


def _global_topup(account: Account) -> dict[str, Any] | None:
    """NAV-3: the tokens the orders awaiting payment lack, and the top-up page filled with them."""
    lacking = lacking_tokens(account)
    if not lacking:
        return None
    return {"url": prefill_url(lacking), "tokens": sum(lacking.values())}


def _renewals(account: Account) -> list[dict[str, Any]]:
    """The first RENEWALS_SHOWN orders in their renewal window: what the block shows of them."""
    return [
        {"reference": order.reference, "common_name": order.common_name, "renewal_end": order.renewal_end}
        for order in renewal_candidates(account).prefetch_related(None)[:RENEWALS_SHOWN]
    ]
