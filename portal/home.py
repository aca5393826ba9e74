"""NAV-3: what the home page shows, each block only to the users whose rights allow it.

Each block comes from the service of the app that owns its data; this module only gathers them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import translation

from accounts.models import Right
from billing.services.coupons import coupons_for_home
from billing.services.promos import promo_codes_for_home
from billing.services.sepa import active_mandate
from billing.topups import prefill_url
from catalog.models import Brand, News, ProductSheet
from orders.services import approval
from orders.services.renewal import renewal_candidates
from orders.services.topup_needs import lacking_tokens

RENEWALS_SHOWN = 5
SHEETS_SHOWN = 3


def home_blocks(user) -> dict:
    account = user.account
    language = translation.get_language() or "en"
    blocks: dict = {
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
        lacking = lacking_tokens(account)
        if lacking:
            blocks["global_topup"] = {"url": prefill_url(lacking), "tokens": sum(lacking.values())}
    if user.has_right(Right.TECHNICAL) or user.has_right(Right.COMMERCIAL):
        blocks["renewals"] = list(renewal_candidates(account)[:RENEWALS_SHOWN])
        blocks["can_renew"] = user.has_right(Right.TECHNICAL)
    if user.has_right(Right.APPROVAL):
        blocks["awaiting_approval"] = approval.pending_count(account)
    return blocks
