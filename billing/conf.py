"""Billing settings, read from django.conf.settings with safe demo defaults (STYLE.md 12).

`BILLING_SELLER` (dict) is the seller identity printed on every document (PLAT-4) and copied
into it at issue time; any key left out keeps its default below, an unknown key fails loudly.
The VAT rules (billing/services/vat.py) assume a seller established in France.

Other settings: `BILLING_PAYMENT_TERM_DAYS` (default term of an invoice, 30) and
`BILLING_QUOTE_VALIDITY_DAYS` (how long a quote may be signed, 30).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SELLER_DEFAULTS: dict[str, str] = {
    "name": "Certificate Portal Demo",
    "legal_form": "SAS",
    "address": "10 rue de la Demo",
    "postal_code": "14000",
    "city": "Caen",
    "country": "FR",
    "siren": "512345679",
    "vat_number": "FR75512345679",
    "rcs_city": "Caen",
    "share_capital": "10 000 EUR",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "email": "billing@portal.test",
    "phone": "+33 2 00 00 00 00",
}

# Art. D441-5 of the Code de commerce: fixed indemnity for recovery costs, in euros.
RECOVERY_INDEMNITY_EUR = 40
# Art. L441-10: a payment term may not exceed 60 days from the issue date.
MAX_PAYMENT_TERM_DAYS = 60


def seller() -> dict[str, str]:
    """The seller identity: settings.BILLING_SELLER over the defaults, validated."""
    configured = getattr(settings, "BILLING_SELLER", {}) or {}
    unknown = set(configured) - set(SELLER_DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"BILLING_SELLER has unknown keys: {sorted(unknown)}")
    merged = {**SELLER_DEFAULTS, **{k: str(v) for k, v in configured.items()}}
    if merged["country"] != "FR":
        raise ImproperlyConfigured(
            "BILLING_SELLER['country'] must be FR: the VAT rules assume a French seller."
        )
    for key in ("name", "address", "siren", "vat_number"):
        if not merged[key].strip():
            raise ImproperlyConfigured(f"BILLING_SELLER['{key}'] must not be empty.")
    return merged


def _positive_int(name: str, default: int, maximum: int | None = None) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or value < 0 or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must be an integer between 0 and {maximum or 'any'}.")
    return value


def payment_term_days() -> int:
    return _positive_int("BILLING_PAYMENT_TERM_DAYS", 30, MAX_PAYMENT_TERM_DAYS)


def quote_validity_days() -> int:
    return _positive_int("BILLING_QUOTE_VALIDITY_DAYS", 30)
