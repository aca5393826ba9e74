"""ORD-1: the new order page, the catalogue grouped by product type with a button per period."""

from __future__ import annotations

from django.shortcuts import render

from accounts.access import right_required
from accounts.models import Right
from catalog.models import SERVER_TYPES, Product, ProductType


@right_required(Right.TECHNICAL)
def new_order(request):
    """Active products by type (ORD-1); server products lead to the order form (ORD-2)."""
    products = (Product.objects.filter(active=True, brand__active=True)
                .select_related("brand").prefetch_related("periods"))
    by_type: dict[str, list[Product]] = {}
    for product in products:
        by_type.setdefault(product.product_type, []).append(product)
    groups = [
        {"type": ptype, "label": label, "orderable": ptype in SERVER_TYPES, "products": by_type[ptype]}
        for ptype, label in ProductType.choices if ptype in by_type
    ]
    return render(request, "orders/new_order.html", {"groups": groups})
