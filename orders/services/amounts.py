"""What a customer pays for an order, told the same way everywhere (issue 8 point 7).

The review page, the confirmation page and email, the status page and the invoice show the same
amounts for the payment method chosen: an order paid with tokens shows its tokens, never euros;
the others show the price excl. VAT, the VAT at the buyer's real treatment (billing's VAT service:
French VAT, EU reverse charge with a valid VAT number, or no VAT outside the EU) and the total.
The buyer is the account's holder organisation, as on the invoices (billing.services.documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Account
from billing.services.vat import FRENCH_STANDARD_RATE, VatRegime, VatTreatment, round_cents, vat_treatment

from ..models import Order
from .payment import TOKENS_PER_ORDER, Method, PaymentPlan


def buyer_vat(account: Account) -> VatTreatment:
    """The VAT treatment of the account's invoices: its holder organisation's country and VAT
    number; an account without a holder yet is treated as a French buyer."""
    holder = account.holder
    if holder is None:
        return VatTreatment(VatRegime.DOMESTIC, FRENCH_STANDARD_RATE, "")
    return vat_treatment(holder.country, holder.vat_number)


@dataclass(frozen=True)
class Amounts:
    """The amounts of one order for its payment method. `tokens` > 0: paid with tokens, no euros."""

    tokens: int
    excl_vat: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    incl_vat: Decimal
    vat_mention: str

    @property
    def rate_text(self) -> str:
        """20.00 → "20", 5.50 → "5.5"."""
        text = f"{self.vat_rate:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


def amounts(excl_vat: Decimal, rate: Decimal, *, method: str = "", mention: str = "") -> Amounts:
    """The amounts of a price excl. VAT at a VAT rate, rounded as billing rounds an invoice."""
    tokens = TOKENS_PER_ORDER if method == Method.TOKENS else 0
    vat = round_cents(excl_vat * rate / 100)
    return Amounts(tokens, excl_vat, rate, vat, excl_vat + vat, mention if rate == 0 else "")


def plan_amounts(account: Account, plan: PaymentPlan | None, public_total: Decimal) -> Amounts:
    """The review page's amounts: the plan's total for its method, at the buyer's VAT."""
    treatment = buyer_vat(account)
    if plan is None:
        return amounts(public_total, treatment.rate, mention=str(treatment.mention))
    return amounts(plan.total_excl_vat, treatment.rate, method=plan.method, mention=str(treatment.mention))


def order_amounts(order: Order) -> Amounts:
    """A placed order's amounts: its price and the VAT rate fixed at order time."""
    method = ((order.options or {}).get("payment") or {}).get("method", "")
    mention = str(buyer_vat(order.account).mention) if order.vat_rate == 0 else ""
    return amounts(order.price_excl_vat, order.vat_rate, method=method, mention=mention)
