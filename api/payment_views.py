"""How an order is paid, through the API (ORD-9, LEDG-4): what the status page says of an unpaid
order (the amount due, the seller's bank details or postal address and the reference to quote,
the page where a card payment is made) and whether tokens or balance can pay it now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Right
from orders.services.payment import Method, awaits_holdings, how_to_pay, payment_summary

from .base import TECHNICAL, ApiView, load_order
from .serializers import PaymentStateSerializer


@extend_schema(
    responses=PaymentStateSerializer,
    summary=gettext_lazy("How to pay an order"),
    tags=["orders"],
    description=gettext_lazy(
        "The payment chosen at order time and what is still awaited: for a card, the status page where the card payment is made; for a transfer, the bank details and the reference to quote; for a cheque, the payee and postal address; for tokens or balance left short after approval, POST /orders/{reference}/pay once topped up."
    ),
)
class OrderPayment(ApiView):
    required_rights = (TECHNICAL, Right.BILLING)

    def get(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        summary = payment_summary(order)
        pay = how_to_pay(order)
        data: dict[str, Any] = {
            "method": summary.method if summary else "",
            "method_label": summary.method_label if summary else "",
            "paid": order.paid_at is not None,
            "paid_at": order.paid_at,
            "invoice": summary.document.display_number if summary and summary.document else None,
            "pay_with_holdings": awaits_holdings(order),
            "shortfall": summary.shortfall if summary else "",
            "instructions": None,
        }
        if pay is not None:
            instructions = pay.instructions
            data["instructions"] = {
                "amount_due": instructions.due,
                "received": instructions.received,
                "invoice": instructions.invoice_number,
                "reference": instructions.reference,
                "payee": instructions.payee,
                "iban": instructions.iban if pay.method == Method.TRANSFER else "",
                "bic": instructions.bic if pay.method == Method.TRANSFER else "",
                "address_lines": instructions.address_lines if pay.method == Method.CHEQUE else [],
                "card_payment_page": settings.SITE_URL + reverse("orders:detail", args=[order.reference])
                if pay.method == Method.CARD
                else "",
            }
        return Response(PaymentStateSerializer(data).data)
