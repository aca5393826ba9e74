"""VAT of a sale by a seller established in France, and document totals (PLAT-4, PRICE-1).

Pure functions, no database. The rules for services sold to a business:
- buyer in France (or Monaco, in the French VAT territory): French VAT, 20 %;
- buyer in another EU country with a valid intra-EU VAT number: no VAT, the buyer self-assesses
  it (reverse charge, art. 196 of Council Directive 2006/112/EC); the mention is mandatory;
- buyer in another EU country without a valid VAT number: French VAT, 20 %;
- buyer outside the EU: not taxable in France (art. 259-1 of the French General Tax Code).
VAT is computed per rate on the sum of the lines of that rate, rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat

CENT = Decimal("0.01")
FRENCH_STANDARD_RATE = Decimal("20.00")
ZERO = Decimal("0.00")

EU_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)
# Monaco belongs to the French VAT territory (Franco-Monegasque convention of 18 May 1963).
FRENCH_VAT_TERRITORY = frozenset({"FR", "MC"})
# VAT number prefixes that differ from the ISO country code.
VAT_PREFIXES = {"GR": "EL"}

REVERSE_CHARGE_MENTION = _("Reverse charge – article 196 of Council Directive 2006/112/EC")
EXPORT_MENTION = _("VAT not applicable – article 259-1 of the French General Tax Code")


class VatRegime(models.TextChoices):
    DOMESTIC = "domestic", _("French VAT")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge (EU)")
    EXPORT = "export", _("Outside the EU")


@dataclass(frozen=True)
class VatTreatment:
    regime: VatRegime
    rate: Decimal
    mention: Promise | str  # translated when the document is rendered in its language


def normalise_vat_number(vat_number: str) -> str:
    return "".join(ch for ch in (vat_number or "").upper() if ch.isalnum())


def has_valid_eu_vat_number(country: str, vat_number: str) -> bool:
    """A well-formed VAT number (checksum included) of an EU country, matching the buyer's country."""
    number = normalise_vat_number(vat_number)
    country = (country or "").upper()
    if country not in EU_COUNTRIES or not number.startswith(VAT_PREFIXES.get(country, country)):
        return False
    return bool(eu_vat.is_valid(number))


def vat_treatment(country: str, vat_number: str = "") -> VatTreatment:
    """The VAT rate and mention for a buyer (a business) in `country` (ISO 3166 alpha-2)."""
    country = (country or "").upper()
    if country in FRENCH_VAT_TERRITORY:
        return VatTreatment(VatRegime.DOMESTIC, FRENCH_STANDARD_RATE, "")
    if country in EU_COUNTRIES:
        if has_valid_eu_vat_number(country, vat_number):
            return VatTreatment(VatRegime.REVERSE_CHARGE, ZERO, REVERSE_CHARGE_MENTION)
        return VatTreatment(VatRegime.DOMESTIC, FRENCH_STANDARD_RATE, "")
    return VatTreatment(VatRegime.EXPORT, ZERO, EXPORT_MENTION)


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent (away from zero for negatives, so a credit note mirrors its invoice)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return round_cents(Decimal(quantity) * Decimal(unit_price))


@dataclass(frozen=True)
class VatLine:
    """One row of the VAT summary: the base of a rate and its VAT."""

    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    per_rate: tuple[VatLine, ...]


def compute_totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals of (vat_rate, line_total_excl_vat) pairs: VAT per rate on the sum of that rate's lines."""
    bases: dict[Decimal, Decimal] = {}
    for rate, total in lines:
        rate = Decimal(rate).quantize(CENT)
        bases[rate] = bases.get(rate, ZERO) + Decimal(total)
    per_rate = tuple(
        VatLine(rate=rate, base=round_cents(base), vat=round_cents(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    excl = sum((row.base for row in per_rate), ZERO)
    vat = sum((row.vat for row in per_rate), ZERO)
    return Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat, per_rate=per_rate)
