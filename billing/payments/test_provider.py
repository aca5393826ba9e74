"""The offline test payment provider (ORD-9): a page of the portal itself, clearly labelled, where the
payer clicks Pay or Decline. It signs what it sends with HMAC-SHA256 like a real provider, so the
return and notification paths, their signature checks and their idempotence are the real ones.

The request we send it (invoice, amount, return URL) and its verdict (invoice, amount, transaction,
status) are JSON, base64url-encoded in `payload`, signed in `signature`. The key is the `secret`
option, by default derived from SECRET_KEY. No money moves: for the demo and the tests only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .providers import CardPayment, PaymentProvider, ProviderResult, SignatureError

SALT = "billing.payments.test_provider"


class TestPaymentProvider(PaymentProvider):
    __test__ = False  # a payment provider named "Test…", not a test class for pytest
    label = gettext_lazy("Test payment provider")

    def _sign(self, payload: str) -> str:
        secret = self.options.get("secret") or None
        return salted_hmac(SALT, payload, secret=secret, algorithm="sha256").hexdigest()

    def encode(self, data: dict[str, Any]) -> dict[str, str]:
        payload = base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode()
        return {"payload": payload, "signature": self._sign(payload)}

    def decode(self, params: QueryDict) -> dict[str, Any]:
        payload, signature = params.get("payload", ""), params.get("signature", "")
        if not payload or not signature:
            raise SignatureError(_("The payment provider's message is missing its payload or signature."))
        if not hmac.compare_digest(self._sign(payload), signature):
            raise SignatureError(
                _("The payment provider's signature does not match: the message was altered.")
            )
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except (binascii.Error, ValueError):
            raise SignatureError(_("The payment provider's message cannot be read.")) from None
        if not isinstance(data, dict):
            raise SignatureError(_("The payment provider's message cannot be read."))
        return data

    # The portal's side: what we send, what we read back.

    def start(self, payment: CardPayment) -> str:
        data = {
            "invoice": payment.invoice,
            "number": payment.number,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "description": payment.description,
            "return_url": payment.return_url,
            "notify_url": payment.notify_url,
        }
        return f"{reverse('payments:test_provider')}?{urlencode(self.encode(data))}"

    def _result(self, data: dict[str, Any]) -> ProviderResult:
        try:
            amount = Decimal(str(data["amount"]))
            result = ProviderResult(
                invoice=str(data["invoice"]),
                amount=amount,
                transaction=str(data["transaction"]),
                paid=data["status"] == "paid",
            )
        except (KeyError, InvalidOperation):
            raise SignatureError(_("The payment provider's message lacks a field.")) from None
        if not result.transaction.startswith("test-") or data["status"] not in ("paid", "declined"):
            raise SignatureError(_("The payment provider's message lacks a field."))
        return result

    def verify_return(self, request: HttpRequest) -> ProviderResult:
        return self._result(self.decode(request.GET))

    def verify_notification(self, request: HttpRequest) -> ProviderResult:
        return self._result(self.decode(request.POST))

    # The provider's side, played by the test page (billing.payments.views).

    def payment_request(self, params: QueryDict) -> dict[str, Any]:
        """The signed request our `start` sent (raises SignatureError)."""
        data = self.decode(params)
        if not {"invoice", "amount", "return_url"} <= set(data):
            raise SignatureError(_("The payment provider's message lacks a field."))
        return data

    def verdict(self, request_data: dict[str, Any], *, paid: bool) -> dict[str, str]:
        """The signed verdict the provider sends back (return and notification carry the same)."""
        return self.encode(
            {
                "invoice": request_data["invoice"],
                "amount": request_data["amount"],
                "transaction": f"test-{secrets.token_hex(8)}",
                "status": "paid" if paid else "declined",
            }
        )
