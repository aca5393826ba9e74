"""ADM-9: the codes billing writes into audit details, as the audit log shows them (their labels in
the reader's language); accounts.audit_text keeps the codes themselves for the CSV."""

from __future__ import annotations

from accounts.audit_text import register_detail_values

from .models import MandateKind, PaymentMode, PromoKind, PromoOrigin, ReceiptMethod, TopUpKind


def register_audit_labels() -> None:
    register_detail_values("method", ReceiptMethod, actions=["billing.receipt_recorded"])
    register_detail_values("payment_mode", PaymentMode, actions=["billing.*"])
    register_detail_values("kind", TopUpKind, actions=["billing.topup_created"])
    for action in ("billing.sepa_mandate_requested", "billing.sepa_mandate_validated"):
        register_detail_values("kind", MandateKind, actions=[action])
    register_detail_values("origin", PromoOrigin, actions=["promo_code.issued"])
    register_detail_values("kind", PromoKind, actions=["promo_code.issued"])
