"""The default discount grid (PRICE-1) the demo and a new installation start from.

Volume tiers are per product bought at once: 1-5, 6-10, 11-25, 26-50 and 51+. Prepaying earns
the most (bulk purchase), then the current account, then the rebate paid back each quarter, then
monthly payment. Brands sold on thin margins get their own, smaller grid: PositiveSSL (entry
level, already cheap) and DigiCert (premium, little room). Staff edit the rows at /staff/.

`load_default_grid()` only adds the rows that are missing: a row staff changed is never
overwritten, so running it again (every `load_demo`) changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.models import Account
from catalog.models import Brand

from .models import DiscountGrid

F = Account.Formula
TIERS: list[tuple[int, int | None]] = [(1, 5), (6, 10), (11, 25), (26, 50), (51, None)]

# formula -> discount in percent per tier of TIERS
GENERAL: dict[str, tuple[str, ...]] = {
    F.BULK: ("10", "15", "20", "25", "30"),
    F.CURRENT: ("5", "10", "15", "20", "25"),
    F.REBATE: ("5", "8", "12", "15", "18"),
    F.MONTHLY: ("0", "5", "8", "10", "12"),
}

# brand code -> formula -> discount per tier of TIERS
BRANDS: dict[str, dict[str, tuple[str, ...]]] = {
    "positivessl": {
        F.BULK: ("5", "5", "8", "10", "12"),
        F.CURRENT: ("3", "5", "5", "8", "10"),
        F.REBATE: ("3", "3", "5", "8", "10"),
        F.MONTHLY: ("0", "0", "3", "5", "5"),
    },
    "digicert": {
        F.BULK: ("5", "8", "10", "12", "15"),
        F.CURRENT: ("3", "5", "8", "10", "12"),
        F.REBATE: ("3", "5", "6", "8", "10"),
        F.MONTHLY: ("0", "3", "5", "6", "8"),
    },
}


def default_rows() -> list[tuple[str, str | None, int, int | None, Decimal]]:
    """(formula, brand code or None, min, max, discount) of the default grid."""
    rows = []
    for brand_code, grid in [(None, GENERAL), *BRANDS.items()]:
        for formula, discounts in grid.items():
            for (low, high), discount in zip(TIERS, discounts, strict=True):
                rows.append((str(formula), brand_code, low, high, Decimal(discount)))
    return rows


def load_default_grid() -> tuple[int, int]:
    """PRICE-1: add the missing rows of the default grid; returns (rows created, rows skipped
    because their brand is not in the catalogue)."""
    brands = {brand.code: brand for brand in Brand.objects.filter(code__in=BRANDS)}
    created = skipped = 0
    with transaction.atomic():
        for formula, brand_code, low, high, discount in default_rows():
            brand = brands.get(brand_code) if brand_code else None
            if brand_code and brand is None:
                skipped += 1
                continue
            _row, made = DiscountGrid.objects.get_or_create(
                formula=formula,
                brand=brand,
                min_quantity=low,
                defaults={"max_quantity": high, "discount": discount},
            )
            created += made
    return created, skipped
