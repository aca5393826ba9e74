"""Statements per formula (LEDG-2): the token balance of each product with its purchases and use,
and the movement lists with their running balance, ready for tables (no stored PDF loaded).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Account
from catalog.models import Product

from ..models import MovementKind, TokenMovement
from .ledger import euro_statement, token_statement


def token_summary(account: Account) -> QuerySet:
    """LEDG-2: one row per product the account ever had tokens of (one query): `product__code`,
    `product__name`, `bought` (top-ups), `used` (consumption less refunds, positive), `balance`."""
    return (
        TokenMovement.objects.filter(account=account)
        .order_by()
        .values("product__code", "product__name")
        .annotate(
            bought=Coalesce(Sum("quantity", filter=Q(kind=MovementKind.TOP_UP)), 0),
            used=-Coalesce(
                Sum("quantity", filter=Q(kind__in=(MovementKind.CONSUMPTION, MovementKind.REFUND))), 0
            ),
            balance=Sum("quantity"),
            movements=Count("id"),
        )
        .order_by("product__name")
    )


def euro_movements(account: Account) -> QuerySet:
    """LEDG-2: euro movements with `balance_after`, without the linked documents' PDFs."""
    return euro_statement(account).defer("document__pdf")


def token_movements(account: Account, product: Product | None = None) -> QuerySet:
    """LEDG-2: token movements (of one product) with `balance_after`, without the documents' PDFs."""
    return token_statement(account, product).defer("document__pdf")
