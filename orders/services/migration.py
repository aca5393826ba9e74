"""Clone and migrate (ORD-12): which orders may serve as the model of a new, prefilled order.

A clone orders the same product again from any past order whose product is still sold; a
migration orders a product of our own brand from an order of another brand (or a certificate
imported from elsewhere, ORD-15). Both, and renewals (ORD-10), hand over to the order form with
`?from=<reference>&origin=<clone|migration|renewal>`; the form builds the prefill (h12's
orders/services/prefill.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from accounts.models import Account
from catalog.models import SERVER_TYPES, Product

from ..models import Certificate, Order, OrderOrigin, OrderStatus

# "Our" brand: the one migrations lead to (the seed's TBS X509, catalog/seed.py).
OUR_BRAND_CODE = "tbs-x509"

V = Product.Validation
# Validation strength, to pick the nearest level when the same one is not sold (never weaker first).
_STRENGTH: dict[str, int] = {V.DV: 1, V.OV: 2, V.EV: 3, V.IV: 2, V.NONE: 0}


def prefill_url(product: Product, order: Order, origin: str) -> str:
    """The order form of `product`, prefilled from `order` (ORD-10, ORD-12)."""
    query = urlencode({"from": order.reference, "origin": OrderOrigin(origin).value})
    return f"{reverse('operations:order', args=[product.code])}?{query}"


def clone_url(order: Order) -> str:
    return prefill_url(order.product, order, OrderOrigin.CLONE)


def _with_valid_until(orders: QuerySet[Order]) -> QuerySet[Order]:
    latest = (
        Certificate.objects.filter(order=OuterRef("pk")).order_by("-not_after", "-id").values("not_after")[:1]
    )
    return orders.annotate(valid_until=Subquery(latest))


def clonable_orders(account: Account) -> QuerySet[Order]:
    """ORD-12: any past order of the account whose product (and brand) is still sold.

    Imported certificates are not clones' models: what they were bought as is migrated instead.
    One query, whatever the length (product and brand joined, last certificate end annotated).
    """
    orders = (
        Order.objects.filter(account=account, product__active=True, product__brand__active=True)
        .exclude(origin=OrderOrigin.IMPORT)
        .select_related("product__brand")
    )
    return _with_valid_until(orders).order_by("-created_at", "-id")


def is_clonable(order: Order) -> bool:
    """`order` is among `clonable_orders(order.account)`, told from its loaded product and brand
    (the status page: no query, issue 17, load). Keep both rules in step."""
    return order.product.active and order.product.brand.active and order.origin != OrderOrigin.IMPORT


# A migration replaces a certificate the customer holds and paid for: never a cancelled, unpaid or
# undelivered order.
MIGRABLE_STATUSES = (OrderStatus.DELIVERED_PAID, OrderStatus.DELIVERED_NOT_INVOICED)


def migrable_orders(account: Account) -> QuerySet[Order]:
    """ORD-12, ORD-15: the account's delivered and paid orders of another brand than ours, and every
    imported certificate."""
    orders = (
        Order.objects.filter(account=account, status__in=MIGRABLE_STATUSES)
        .filter(~Q(product__brand__code=OUR_BRAND_CODE) | Q(origin=OrderOrigin.IMPORT))
        .select_related("product__brand")
    )
    return _with_valid_until(orders).order_by("-created_at", "-id")


def is_migrable(order: Order) -> bool:
    """`order` is among `migrable_orders(order.account)`, told from its loaded product's brand
    (the status page: no query, issue 17, load). Keep both rules in step."""
    return order.status in MIGRABLE_STATUSES and (
        order.product.brand.code != OUR_BRAND_CODE or order.origin == OrderOrigin.IMPORT
    )


def our_products() -> list[Product]:
    """The products a migration may lead to: our brand's active products, test products left out."""
    return list(
        Product.objects.filter(brand__code=OUR_BRAND_CODE, brand__active=True, active=True, is_test=False)
        .select_related("brand")
        .order_by("position", "name")
    )


def migration_choices(product: Product, catalogue: Iterable[Product] | None = None) -> list[Product]:
    """The products of ours a user may migrate `product` to: for a server certificate, any of our
    server certificates (a single-site one may grow into a multi-domain one); else the same type."""
    catalogue = list(our_products() if catalogue is None else catalogue)
    if product.product_type in SERVER_TYPES:
        return [p for p in catalogue if p.product_type in SERVER_TYPES]
    return [p for p in catalogue if p.product_type == product.product_type]


def migration_target(product: Product, catalogue: Iterable[Product] | None = None) -> Product | None:
    """ORD-12: the product of ours proposed for a migration from `product`.

    Rule: among `migration_choices`, the same type first; then the same validation level, else the
    nearest stronger one (DV → OV → EV: never a weaker certificate when a stronger exists), else the
    nearest weaker one; ties go to the catalogue position. None when we sell nothing comparable.
    An inactive product of ours with an active replacement migrates to that replacement.
    """
    catalogue = list(our_products() if catalogue is None else catalogue)
    if product.brand.code == OUR_BRAND_CODE and product.replacement_id:
        replacement = next((p for p in catalogue if p.pk == product.replacement_id), None)
        if replacement is not None:
            return replacement
    choices = migration_choices(product, catalogue)
    if not choices:
        return None
    wanted = _STRENGTH.get(product.validation, 0)
    # Same type beats same family; then exact level, stronger before weaker, then the nearest level.
    return min(
        choices,
        key=lambda p: (
            p.product_type != product.product_type,
            _STRENGTH.get(p.validation, 0) != wanted,
            _STRENGTH.get(p.validation, 0) < wanted,
            abs(_STRENGTH.get(p.validation, 0) - wanted),
        ),
    )


def migration_targets(orders: Iterable[Order]) -> dict[int, Product | None]:
    """`migration_target` for the products of many orders with one catalogue query (lists)."""
    catalogue = our_products()
    targets: dict[int, Product | None] = {}
    for order in orders:
        if order.product_id not in targets:
            targets[order.product_id] = migration_target(order.product, catalogue)
    return targets
