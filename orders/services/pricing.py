"""The price of a server certificate order (ORD-2): the period's public price plus the extra names.

Each extra name (SAN) is classified:
- free: the "www." variant of the common name or the common name without "www." (and the bare
  domain of a wildcard common name), one site for the customer;
- additional SAN: another name under the same registered domain (mail.example.com for
  www.example.com);
- domain SAN: a name under another registered domain;
- wildcard SAN: any "*." name.
Free variants neither cost nor count against `product.max_sans`. A product whose SAN prices are
both zero sells no extra name: it takes its common name and the free variant only (the catalogue's
single-domain products, catalog/seed.py).
The first `product.included_sans` paying names are included (the dearest first, to the customer's
advantage); each other one costs `product.san_price` (wildcard ones `product.wildcard_san_price`)
per year of the period. Prices are excluding VAT, Decimal, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, ProductPeriod

from .names import registered_domain

CENT = Decimal("0.01")
# PRICE-1 will make VAT depend on the customer's country and VAT number; France's rate until then.
DEFAULT_VAT_RATE = Decimal("20.00")


class NameKind(models.TextChoices):
    COMMON_NAME = "common_name", _("Common name")
    FREE = "free", _("Included variant")
    ADDITIONAL = "additional", _("Additional SAN")
    DOMAIN = "domain", _("Domain SAN")
    WILDCARD = "wildcard", _("Wildcard SAN")


class PricingError(ValueError):
    """The product is not on sale for this period."""


@dataclass(frozen=True)
class NameLine:
    name: str
    kind: NameKind
    included: bool
    price: Decimal

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)


def _is_free_variant(common_name: str, name: str) -> bool:
    return name in {f"www.{common_name}", common_name.removeprefix("www."), common_name.removeprefix("*.")} \
        and name != common_name


def classify_names(common_name: str, sans: list[str]) -> list[tuple[str, NameKind]]:
    """ORD-2: the kind of each extra name, in the order given (names already normalised)."""
    domain = registered_domain(common_name)
    result = []
    for name in sans:
        if name.startswith("*."):
            kind = NameKind.WILDCARD
        elif _is_free_variant(common_name, name):
            kind = NameKind.FREE
        elif registered_domain(name) == domain:
            kind = NameKind.ADDITIONAL
        else:
            kind = NameKind.DOMAIN
        result.append((name, kind))
    return result


def sells_extra_names(product: Product) -> bool:
    """Multi-domain products price extra names; the others secure one name and its free variant."""
    return product.san_price > 0 or product.wildcard_san_price > 0


def paying_sans(common_name: str, sans: list[str]) -> int:
    """How many extra names count against the product's maximum (free variants do not)."""
    return sum(1 for _name, kind in classify_names(common_name, sans) if kind != NameKind.FREE)


def period_price(product: Product, months: int) -> Decimal:
    """The public price excl. VAT of `product` for `months`, or PricingError when not on sale."""
    price = ProductPeriod.objects.filter(product=product, months=months).values_list("price", flat=True).first()
    if price is None:
        raise PricingError(f"{product.code} is not sold for {months} months")
    return price


def _yearly(unit: Decimal, months: int) -> Decimal:
    return (unit * Decimal(months) / Decimal(12)).quantize(CENT, rounding=ROUND_HALF_UP)


def name_lines(product: Product, months: int, common_name: str, sans: list[str]) -> list[NameLine]:
    """Every name of the order with its kind, whether the product includes it, and its price."""
    classified = classify_names(common_name, sans)
    # The dearest paying names use the included SANs first.
    paying = [i for i, (_n, kind) in enumerate(classified) if kind != NameKind.FREE]
    paying.sort(key=lambda i: (classified[i][1] != NameKind.WILDCARD, i))
    included = set(paying[: product.included_sans])
    lines = [NameLine(common_name, NameKind.COMMON_NAME, True, Decimal("0.00"))]
    for i, (name, kind) in enumerate(classified):
        if kind == NameKind.FREE or i in included:
            lines.append(NameLine(name, kind, True, Decimal("0.00")))
            continue
        unit = product.wildcard_san_price if kind == NameKind.WILDCARD else product.san_price
        lines.append(NameLine(name, kind, False, _yearly(unit, months)))
    return lines


def order_price(product: Product, months: int, common_name: str, sans: list[str]) -> Decimal:
    """ORD-2: period price plus the extra names' prices, excluding VAT."""
    return period_price(product, months) + sum(
        (line.price for line in name_lines(product, months, common_name, sans)), Decimal("0.00"))


def vat_amount(amount: Decimal, rate: Decimal = DEFAULT_VAT_RATE) -> Decimal:
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
