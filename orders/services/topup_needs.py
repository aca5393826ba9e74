"""LEDG-4 from the orders side: the tokens pending orders and coming renewals need.

Billing cannot see orders (floors), so it asks these functions: `renewal_token_needs` is named by
settings.BILLING_RENEWAL_NEEDS_PROVIDER for the renewals top-up page, and `lacking_tokens` feeds
the "global top-up" link of the home page.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone

from accounts.models import Account
from billing.formulas import TOKEN_FORMULAS
from billing.services.ledger import token_balances
from catalog.models import Product

from ..models import DELIVERED, Order, OrderStatus
from .payment import TOKENS_PER_ORDER
from .renewal import with_renewal_data


def lacking_tokens(account: Account) -> dict[int, int]:
    """{product id: tokens missing} so that every order awaiting payment could be paid in tokens
    (NAV-3 "global top-up"); empty for formulas without tokens. Two queries."""
    if account.formula not in TOKEN_FORMULAS:
        return {}
    wanted: dict[int, int] = defaultdict(int)
    for product_id in Order.objects.filter(account=account, status=OrderStatus.AWAITING_PAYMENT).values_list(
        "product_id", flat=True
    ):
        wanted[product_id] += TOKENS_PER_ORDER
    balances = token_balances(account)
    return {pk: need - balances.get(pk, 0) for pk, need in wanted.items() if need > balances.get(pk, 0)}


def renewal_token_needs(
    account: Account, start: datetime.date, end: datetime.date
) -> list[tuple[Product, int, list[str]]]:
    """BILLING_RENEWAL_NEEDS_PROVIDER (LEDG-4): per product, the tokens the renewals whose
    subscription ends in [start, end] need, with those orders' references."""
    if account.formula not in TOKEN_FORMULAS:
        return []
    tz = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    per_product: dict[int, list[Order]] = defaultdict(list)
    products: dict[int, Product] = {}
    due = (
        with_renewal_data(Order.objects.filter(account=account, status__in=DELIVERED, do_not_renew=False))
        .filter(renewal_end__gte=first, renewal_end__lt=after)
        .select_related("product__brand")
    )
    for order in due:
        per_product[order.product_id].append(order)
        products[order.product_id] = order.product
    return [
        (products[pk], len(orders) * TOKENS_PER_ORDER, [o.reference for o in orders])
        for pk, orders in per_product.items()
    ]
