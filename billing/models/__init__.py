"""Billing models: the per-account profile, the append-only ledgers (LEDG-2) and the documents
(ACCT-1, PLAT-4) with their gapless number sequences."""

from .base import AppendOnlyError
from .documents import (
    SERIES,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    ImmutableDocumentError,
    NumberSequence,
)
from .ledger import BillingProfile, EuroMovement, MovementKind, PaymentMode, TokenMovement

__all__ = [
    "SERIES",
    "AppendOnlyError",
    "BillingProfile",
    "Document",
    "DocumentKind",
    "DocumentLine",
    "DocumentStatus",
    "EuroMovement",
    "ImmutableDocumentError",
    "MovementKind",
    "NumberSequence",
    "PaymentMode",
    "TokenMovement",
]

# PRICE-1 discount grid; LEDG-4/5 top-ups; ADM-5/ORD-9 SEPA mandates.
from .pricing import DiscountGrid  # noqa: E402
from .topups import (  # noqa: E402
    MandateKind,
    MandateStatus,
    SepaMandate,
    TopUp,
    TopUpKind,
    TopUpLine,
    TopUpStatus,
)

__all__ += [
    "DiscountGrid",
    "MandateKind",
    "MandateStatus",
    "SepaMandate",
    "TopUp",
    "TopUpKind",
    "TopUpLine",
    "TopUpStatus",
]

# ACCT-4 coupons, ACCT-5 promo codes, ACCT-6 late-payment statements, JOBS-7 job state.
from .coupons import Coupon, CouponState, PromoCode, PromoKind, PromoOrigin, PromoState  # noqa: E402
from .late_payment import RIR_SERIES, LatePaymentStatement, StatementStatus  # noqa: E402
from .periodic import BalanceAlert, PendingCharge, Rebate, RebateState  # noqa: E402

__all__ += [
    "RIR_SERIES",
    "BalanceAlert",
    "Coupon",
    "CouponState",
    "LatePaymentStatement",
    "PendingCharge",
    "PromoCode",
    "PromoKind",
    "PromoOrigin",
    "PromoState",
    "Rebate",
    "RebateState",
    "StatementStatus",
]

# ACCT-3: money received for an invoice (transfer, cheque, card).
from .receipts import Receipt, ReceiptMethod  # noqa: E402

__all__ += ["Receipt", "ReceiptMethod"]
