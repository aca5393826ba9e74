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

Options (ORD-2, ORD-4), priced by `option_lines` from the order's `options` dict:
- assistance (server certificates): `ASSISTANCE_PRICE` once per order;
- additional machine licences (server certificates of the brands in `LICENCE_PRICES`, each
  electrically connected device beyond the first needs one): 0 to `MAX_LICENCES` licences, each
  at the brand's price per licence and year of the period;
- signature solutions: the product's period price covers the users and documents its description
  names; additional users cost `SIGNATURE_USER_PRICES[user type]` per user and year, additional
  document packs (`DOCUMENT_PACK_SIZE` documents each) `DOCUMENT_PACK_PRICE` per pack, once, and
  eIDAS ID certificates (one per signer who needs a qualified identity) `EIDAS_ID_PRICE` per
  certificate and year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import SERVER_TYPES, Product, ProductPeriod

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


ASSISTANCE_PRICE = Decimal("49.00")
MAX_LICENCES = 50
# Price excl. VAT of one additional machine licence per year, for the brands that sell them.
LICENCE_PRICES: dict[str, Decimal] = {
    "digicert": Decimal("79.00"),
    "thawte": Decimal("59.00"),
    "geotrust": Decimal("49.00"),
}
SIGNATURE_USER_PRICES: dict[str, Decimal] = {"advanced": Decimal("60.00"), "qualified": Decimal("150.00")}
DOCUMENT_PACK_SIZE = 100
DOCUMENT_PACK_PRICE = Decimal("90.00")
EIDAS_ID_PRICE = Decimal("89.00")
MAX_SIGNATURE_USERS = 500
MAX_DOCUMENT_PACKS = 100


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
    return (
        name in {f"www.{common_name}", common_name.removeprefix("www."), common_name.removeprefix("*.")}
        and name != common_name
    )


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
    price = (
        ProductPeriod.objects.filter(product=product, months=months).values_list("price", flat=True).first()
    )
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


@dataclass(frozen=True)
class OptionLine:
    """One priced option of an order (ORD-2, ORD-4): `quantity` × `unit_price` = `amount`."""

    code: str
    label: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


def licence_price(product: Product) -> Decimal | None:
    """The yearly price of one machine licence, or None when the product sells none (ORD-2)."""
    if product.product_type not in SERVER_TYPES:
        return None
    return LICENCE_PRICES.get(product.brand.code)


def option_lines(product: Product, months: int, options: dict | None) -> list[OptionLine]:
    """ORD-2 / ORD-4: the priced options chosen in `options` (see the module docstring)."""
    options = options or {}
    lines: list[OptionLine] = []
    if options.get("assistance"):
        lines.append(
            OptionLine("assistance", str(_("Assistance option")), 1, ASSISTANCE_PRICE, ASSISTANCE_PRICE)
        )
    licences = int(options.get("licences") or 0)
    unit = licence_price(product)
    if licences and unit is not None:
        yearly = _yearly(unit, months)
        lines.append(
            OptionLine("licences", str(_("Additional machine licences")), licences, yearly, yearly * licences)
        )
    users = int(options.get("users") or 0)
    if users:
        user_type = options.get("user_type") or "advanced"
        yearly = _yearly(SIGNATURE_USER_PRICES[user_type], months)
        label = (
            _("Additional qualified signature users")
            if user_type == "qualified"
            else _("Additional advanced signature users")
        )
        lines.append(OptionLine("users", str(label), users, yearly, yearly * users))
    packs = int(options.get("document_packs") or 0)
    if packs:
        lines.append(
            OptionLine(
                "document_packs",
                str(_("Document packs of %(size)d documents") % {"size": DOCUMENT_PACK_SIZE}),
                packs,
                DOCUMENT_PACK_PRICE,
                DOCUMENT_PACK_PRICE * packs,
            )
        )
    eidas = int(options.get("eidas_ids") or 0)
    if eidas:
        yearly = _yearly(EIDAS_ID_PRICE, months)
        lines.append(OptionLine("eidas_ids", str(_("eIDAS ID certificates")), eidas, yearly, yearly * eidas))
    return lines


def order_price(
    product: Product, months: int, common_name: str, sans: list[str], options: dict | None = None
) -> Decimal:
    """ORD-2 / ORD-4: period price plus the extra names' and the options' prices, excluding VAT."""
    names = sum((line.price for line in name_lines(product, months, common_name, sans)), Decimal("0.00"))
    extras = sum((line.amount for line in option_lines(product, months, options)), Decimal("0.00"))
    return period_price(product, months) + names + extras


def vat_amount(amount: Decimal, rate: Decimal = DEFAULT_VAT_RATE) -> Decimal:
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
