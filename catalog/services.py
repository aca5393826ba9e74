"""Catalogue queries used by the order and pricing pages (ORD-1, PRICE-1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from .models import Product, ProductPeriod, ProductType


class PriceNotFound(LookupError):
    """The product is not on sale for this validity period."""

    def __init__(self, product: Product, months: int) -> None:
        self.product = product
        self.months = months
        super().__init__(f"{product.code} is not on sale for {months} months.")


def public_price(product: Product, months: int) -> Decimal:
    """PRICE-1: the public price excluding VAT of `product` for a period of `months`.

    Uses the prefetched periods when there are some (see `products_by_type`), else one query.
    Whether the product may be ordered at all (active, contract, consent) is the caller's concern.
    Raises PriceNotFound when no such period is on sale.
    """
    prefetched = getattr(product, "_prefetched_objects_cache", {}).get("periods")
    if prefetched is not None:
        for period in prefetched:
            if period.months == months:
                return period.price
        raise PriceNotFound(product, months)
    price = (
        ProductPeriod.objects.filter(product=product, months=months).values_list("price", flat=True).first()
    )
    if price is None:
        raise PriceNotFound(product, months)
    return price


def catalogue_queryset(active_only: bool = True) -> Any:
    """Products with their brand joined and their periods prefetched by increasing length."""
    products = Product.objects.select_related("brand").prefetch_related(
        Prefetch("periods", queryset=ProductPeriod.objects.order_by("months"))
    )
    if active_only:
        products = products.filter(active=True, brand__active=True)
    return products.order_by("brand__position", "brand__name", "position", "name")


def products_by_type(
    active_only: bool = True, *, include_test: bool = True
) -> dict[ProductType, list[Product]]:
    """ORD-1: products grouped by type in the order of `ProductType`, periods prefetched (two queries).

    Only types with at least one product appear. Inside a type, products follow the brands' and
    their own positions. `include_test=False` leaves out test products (shown apart on ORD-1).
    """
    products = catalogue_queryset(active_only)
    if not include_test:
        products = products.filter(is_test=False)
    groups: dict[ProductType, list[Product]] = {kind: [] for kind in ProductType}
    for product in products:
        groups[ProductType(product.product_type)].append(product)
    return {kind: items for kind, items in groups.items() if items}


def products_for_testing(active_only: bool = True) -> list[Product]:
    """ORD-1: the free test products offered apart on the new-order page."""
    return list(catalogue_queryset(active_only).filter(is_test=True))
