"""The payment-provider interface (ORD-9: card payments) and the provider chosen by settings.

A provider takes the payer's browser away (`start` returns the URL to redirect to), sends it back to
our return URL with a signed verdict (`verify_return`), and tells our server the same verdict in a
signed notification (`verify_notification`), possibly several times. Both paths go through
`billing.payments.services.apply_result`, which books a paid verdict once per provider transaction:
a replayed return or notification settles nothing twice.

Settings (read on each call, so tests may change them):
- `BILLING_PAYMENT_PROVIDER`: dotted path of the provider class, default the offline
  `billing.payments.test_provider.TestPaymentProvider`;
- `BILLING_PAYMENT_PROVIDER_OPTIONS`: keyword arguments of its constructor (keys, merchant id...).
A real provider is a subclass of `PaymentProvider` in any installed module, named by these two
settings; nothing else changes (README "Card payments").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

DEFAULT_PROVIDER = "billing.payments.test_provider.TestPaymentProvider"


class SignatureError(ValueError):
    """A return or notification whose signature or content does not hold; `reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class CardPayment:
    """What we ask the provider to collect."""

    invoice: str  # the invoice's public id, echoed back in the verdict
    number: str  # the invoice number the payer sees
    amount: Decimal  # EUR incl. VAT
    currency: str
    description: str
    return_url: str  # absolute URL the payer's browser comes back to
    notify_url: str  # absolute URL the provider's server posts its notification to
    language: str


@dataclass(frozen=True)
class ProviderResult:
    """A verified verdict of the provider."""

    invoice: str
    amount: Decimal
    transaction: str
    paid: bool


class PaymentProvider(ABC):
    """One card payment provider. Subclasses take their options as keyword arguments."""

    #: The name shown to the payer ("Pay by card with …").
    label: Any = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    def start(self, payment: CardPayment) -> str:
        """The URL to send the payer's browser to."""

    @abstractmethod
    def verify_return(self, request: HttpRequest) -> ProviderResult:
        """The verdict carried by the payer's return; raises SignatureError if it does not hold."""

    @abstractmethod
    def verify_notification(self, request: HttpRequest) -> ProviderResult:
        """The verdict of a server-to-server notification; raises SignatureError if it does not hold."""


def get_provider() -> PaymentProvider:
    path = getattr(settings, "BILLING_PAYMENT_PROVIDER", DEFAULT_PROVIDER) or DEFAULT_PROVIDER
    options = getattr(settings, "BILLING_PAYMENT_PROVIDER_OPTIONS", {}) or {}
    try:
        cls = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"BILLING_PAYMENT_PROVIDER {path!r} cannot be imported: {error}") from None
    if not (isinstance(cls, type) and issubclass(cls, PaymentProvider)):
        raise ImproperlyConfigured(f"BILLING_PAYMENT_PROVIDER {path!r} is not a PaymentProvider subclass.")
    return cls(**options)
