"""What the new order page shows (ORD-1), in a constant number of queries whatever the catalogue.

Three parts, as the guide describes the page: quick access (the account's most ordered
products, the products it holds tokens of, the test products), every certificate grouped by type
and sorted by price with its comparison data, and the signature solutions at the bottom, software
apart from platforms. Four queries: the products and their periods (catalog.services), the
account's order counts per product, and its token balances (billing ledger); and the account's
ordering rules (contracts: CON-1, CON-2), five more. Products outside a contract in force are
hidden; products of a brand whose data processing terms are not accepted show why instead of
their order buttons (`product.order_refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count

from accounts.models import Account
from billing.services.ledger import token_balances
from catalog.models import Product, ProductType
from catalog.services import products_by_type
from contracts.services.rules import ordering_rules

from ..models import Order
from .kinds import signature_family

MOST_ORDERED = 5


@dataclass(frozen=True)
class QuickProduct:
    product: Product
    count: int = 0


@dataclass
class TypeGroup:
    type: ProductType
    products: list[Product]

    @property
    def label(self) -> str:
        return str(self.type.label)


@dataclass
class NewOrderPage:
    most_ordered: list[QuickProduct] = field(default_factory=list)
    with_tokens: list[QuickProduct] = field(default_factory=list)
    tests: list[Product] = field(default_factory=list)
    groups: list[TypeGroup] = field(default_factory=list)
    signature_software: list[Product] = field(default_factory=list)
    signature_platforms: list[Product] = field(default_factory=list)

    @property
    def has_quick_access(self) -> bool:
        return bool(self.most_ordered or self.with_tokens or self.tests)


def _lowest_price(product: Product) -> Decimal:
    prices = [period.price for period in product.periods.all()]
    return min(prices) if prices else Decimal("0")


def new_order_page(account: Account) -> NewOrderPage:
    """ORD-1: the page's data for `account`: only active products of active brands appear."""
    page = NewOrderPage()
    products: dict[int, Product] = {}
    rules = ordering_rules(account)
    for kind, items in products_by_type(include_test=True).items():
        items = [p for p in items if not rules.hides(p)]  # CON-1: outside the contract in force
        for product in items:
            product.order_refusal = rules.refusal(product)  # type: ignore[attr-defined]  # CON-2: shown with the reason
            products[product.pk] = product
        items = sorted((p for p in items if not p.is_test), key=lambda p: (_lowest_price(p), p.name))
        if kind == ProductType.SIGNATURE:
            page.signature_software = [p for p in items if signature_family(p) == "software"]
            page.signature_platforms = [p for p in items if signature_family(p) == "platform"]
        elif items:
            page.groups.append(TypeGroup(kind, items))
    page.tests = [p for p in products.values() if p.is_test]
    # The account's own consumption: its orders counted per product, most ordered first.
    counts = (
        Order.objects.filter(account=account)
        .order_by()
        .values("product_id")
        .annotate(orders=Count("id"))
        .order_by("-orders", "product_id")
        .values_list("product_id", "orders")
    )
    page.most_ordered = [QuickProduct(products[pk], n) for pk, n in counts if pk in products][:MOST_ORDERED]
    balances = token_balances(account)
    page.with_tokens = sorted(
        (QuickProduct(products[pk], n) for pk, n in balances.items() if n > 0 and pk in products),
        key=lambda q: (-q.count, q.product.name),
    )
    return page
