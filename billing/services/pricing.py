"""Prices after the discount grid (PRICE-1) and the price table of the pricing page.

The public price excl. VAT of a product and period comes from the catalogue; the discount grid
(billing.models.DiscountGrid) takes a percentage off it for a billing formula and a quantity of
one product. Matching rows: the formula's rows whose tier holds the quantity; a row for the
product's brand replaces the all-brands rows (staff set a brand's own grid to override the
general one); among the rows left the largest discount wins. The price is rounded half-up to
the cent. Prices stay excl. VAT: VAT depends on the buyer (billing.services.vat).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from accounts.models import Account
from catalog.models import Brand, Product
from catalog.services import catalogue_queryset, public_price

from ..models import DiscountGrid
from ..models.pricing import tier_label
from .vat import ZERO, round_cents

HUNDRED = Decimal("100")

# LEDG-1, LEDG-4: buying tokens is the bulk purchase feature, which Rebate accounts share (user
# guide 8.1 note): a token top-up is priced with the Bulk purchase grid for both formulas.
TOKEN_PRICING_FORMULA = Account.Formula.BULK


class PricingError(ValueError):
    """A price that cannot be computed as asked."""


def _check(formula: str, quantity: int) -> None:
    if formula not in Account.Formula.values:
        raise PricingError(f"Unknown billing formula {formula!r}.")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise PricingError("A quantity is a whole number of at least 1.")


def grid_rows(formula: str | None = None) -> list[DiscountGrid]:
    """The grid rows of one formula (or all), in one query."""
    rows = DiscountGrid.objects.all()
    if formula:
        rows = rows.filter(formula=formula)
    return list(rows)


def best_discount(rows: Iterable[DiscountGrid], *, brand_id: int, formula: str, quantity: int) -> Decimal:
    """PRICE-1: the discount in percent of the rows for this brand, formula and quantity (0 if none)."""
    matching = [
        row
        for row in rows
        if row.formula == formula and row.matches(quantity) and row.brand_id in (brand_id, None)
    ]
    own = [row.discount for row in matching if row.brand_id == brand_id]
    general = [row.discount for row in matching if row.brand_id is None]
    chosen = own or general
    return max(chosen) if chosen else ZERO


def discounted(price: Decimal, discount: Decimal) -> Decimal:
    """`price` less `discount` percent, half-up to the cent."""
    return round_cents(Decimal(price) * (HUNDRED - Decimal(discount)) / HUNDRED)


def price_for(
    product: Product, months: int, *, formula: str, quantity: int, grid: Sequence[DiscountGrid] | None = None
) -> Decimal:
    """PRICE-1: the price excl. VAT of one `product` for `months` bought `quantity` at a time by an
    account of `formula`: its public price less the best matching discount, half-up to the cent.

    `grid` lets a caller pricing many products load the formula's rows once (`grid_rows`); without
    it this reads the grid (one query), plus the period's price unless the periods are prefetched.
    Raises catalog.services.PriceNotFound when the period is not on sale, PricingError on a bad
    formula or quantity.
    """
    _check(formula, quantity)
    rows = grid if grid is not None else grid_rows(formula)
    discount = best_discount(rows, brand_id=product.brand_id, formula=formula, quantity=quantity)
    return discounted(public_price(product, months), discount)


# The price table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """A volume tier of the grid, "6-10" (both included) or "51+"."""

    min_quantity: int
    max_quantity: int | None

    @property
    def value(self) -> str:
        return f"{self.min_quantity}-{self.max_quantity or ''}"

    @property
    def label(self) -> str:
        return tier_label(self.min_quantity, self.max_quantity)

    @classmethod
    def parse(cls, value: str) -> Tier | None:
        low, _sep, high = (value or "").partition("-")
        if not low.isdigit() or (high and not high.isdigit()) or int(low) < 1:
            return None
        return cls(int(low), int(high) if high else None)


def tiers() -> list[Tier]:
    """PRICE-1: the volume tiers of the all-brands grid rows, smallest first (one query)."""
    pairs = (
        DiscountGrid.objects.filter(brand__isnull=True)
        .order_by("min_quantity", "max_quantity")
        .values_list("min_quantity", "max_quantity")
        .distinct()
    )
    found = [Tier(low, high) for low, high in pairs]
    return found or [Tier(1, None)]


@dataclass(frozen=True)
class PriceChoice:
    """What the pricing page was asked for: public prices (no formula) or a formula, brand and tier."""

    formula: str = ""
    brand: Brand | None = None
    tier: Tier | None = None

    @property
    def discounted(self) -> bool:
        return bool(self.formula) and self.tier is not None


@dataclass(frozen=True)
class PriceRow:
    product: Product
    months: int
    public_price: Decimal
    discount: Decimal | None = None
    price: Decimal | None = None


def price_table(choice: PriceChoice) -> list[PriceRow]:
    """PRICE-1: every active product and period (of the chosen brand) at its public price, and at
    the chosen formula and tier's price when one is chosen. Three queries whatever the size."""
    products = catalogue_queryset(active_only=True)
    if choice.brand is not None:
        products = products.filter(brand=choice.brand)
    rows = grid_rows(choice.formula) if choice.discounted else []
    table = []
    tier = choice.tier if choice.discounted else None
    for product in products:
        for period in product.periods.all():
            if tier is None:
                table.append(PriceRow(product, period.months, period.price))
                continue
            discount = best_discount(
                rows, brand_id=product.brand_id, formula=choice.formula, quantity=tier.min_quantity
            )
            table.append(
                PriceRow(product, period.months, period.price, discount, discounted(period.price, discount))
            )
    return table


def brands_on_sale() -> list[Brand]:
    """The active brands with at least one active product (one query)."""
    return list(
        Brand.objects.filter(Q(active=True) & Q(products__active=True))
        .distinct()
        .order_by("position", "name")
    )
