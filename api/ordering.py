"""New orders and renewals through the API (ORD-2, ORD-3, ORD-9, ORD-10): the JSON becomes the POST
the order form would receive, and the same `OrderRequest` and `PaymentForm` check it and place the
order (organisation, contacts, contract and consent gate, CSR checks, payment, audit, emails).

The API picks the holder and contacts among the account's (ids from /organisations); it does not
create organisations or contacts. Field errors come back with the API's field names.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import Http404, HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from accounts.models import User
from billing.services.coupons import CouponError
from billing.services.ledger import InsufficientBalance
from billing.services.monthly import ChargeError
from billing.services.promos import PromoCodeError
from catalog.models import Product
from orders.forms import OrderRequest
from orders.forms.payment import PaymentForm
from orders.models import Order, OrderOrigin
from orders.services.ordering import OrderError, find_submitted
from orders.services.prefill import initial_from_order
from orders.services.renewal import renewable

from .problems import Problem, form_errors, invalid_form

# ORD-9: refusals of billing at confirmation (nothing is created: the transaction rolls back).
PAYMENT_REFUSALS = (InsufficientBalance, CouponError, PromoCodeError, ChargeError)
ORDER_FIELDS = (
    "months",
    "organisation",
    "admin_contact",
    "technical_contact",
    "legal_representative",
    "common_name",
    "sans",
    "dcv_method",
    "csr",
    "server_software",
    "server_software_other",
    "chain",
    "assistance",
    "licences",
    "customer_reference",
    "custom_1",
    "custom_2",
    "custom_3",
    "custom_4",
)


def orderable_product(code: str) -> Product:
    """An active product of an active brand, as the order form's URL requires; 400 otherwise."""
    product = (
        Product.objects.select_related("brand")
        .prefetch_related("periods")
        .filter(code=code, active=True, brand__active=True)
        .first()
    )
    if product is None:
        raise Problem(
            400,
            "invalid",
            _("The request has invalid fields: see errors."),
            errors=[{"detail": _("No product on sale has this code."), "pointer": "#/product"}],
        )
    return product


def _form_value(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["on"] if value else []
    if isinstance(value, list | tuple):
        return ["\n".join(str(item) for item in value)]
    return [] if value is None else [str(value)]


def form_data(payload: dict[str, Any], initial: dict[str, Any] | None = None) -> MultiValueDict:
    """The order form's POST for `payload` (the API's fields), over `initial` (a renewal's)."""
    data: dict[str, Any] = dict(initial or {})
    for name in ORDER_FIELDS:
        if name in payload:
            data[name] = payload[name]
    if not data.get("technical_contact"):
        data["technical_same_as_admin"] = True
    elif "technical_contact" in payload:
        data["technical_same_as_admin"] = payload["technical_contact"] == data.get("admin_contact")
    if not data.get("legal_representative"):
        data["legal_same_as_admin"] = True
    return MultiValueDict({key: _form_value(value) for key, value in data.items()})


def _payment_form(
    order_request: OrderRequest, product: Product, payment: dict[str, Any]
) -> tuple[PaymentForm, dict]:
    summary = order_request.summary()
    kwargs = {
        "account": order_request.account,
        "product": product,
        "months": summary["months"],
        "public_total": summary["price_excl_vat"],
    }
    offer = PaymentForm(None, **kwargs).offer
    data = {"method": payment.get("method") or offer.default}
    for name in ("term", "promo_code", "coupon"):
        if payment.get(name) not in (None, ""):
            data[name] = str(payment[name])
    if payment.get("quote"):
        data["quote"] = "on"
    return PaymentForm(data, **kwargs), summary


def place(
    product: Product,
    data: MultiValueDict,
    payment: dict[str, Any],
    *,
    user: User,
    request: HttpRequest,
    token: str,
) -> Order:
    """Validate and place the order as "Confirm the order" does; Problem on any refusal."""
    account = user.account
    assert account is not None
    existing = find_submitted(account, token)
    if existing is not None:
        return existing
    order_request = OrderRequest(data, account=account, product=product)
    if not order_request.is_valid():
        errors = []
        for part in order_request.forms:
            if part.is_bound and part.errors:
                errors += form_errors(part)
        raise Problem(400, "invalid", _("The order has invalid fields: see errors."), errors=errors)
    payment_form, _summary = _payment_form(order_request, product, payment)
    if not payment_form.is_valid():
        raise invalid_form(payment_form, prefix="payment/")
    try:
        return order_request.place(user=user, request=request, token=token, payment=payment_form.plan)
    except PAYMENT_REFUSALS as exc:
        raise Problem(
            409, "payment-refused", _("The payment could not be made: %(reason)s") % {"reason": exc.args[0]}
        ) from None
    except IntegrityError:
        existing = find_submitted(account, token)
        if existing is None:
            raise
        return existing
    except OrderError as exc:
        raise Problem(422, "order-refused", str(exc.args[0])) from None


def renewal_data(order: Order, payload: dict[str, Any]) -> MultiValueDict:
    """ORD-10: the renewal's form, prefilled from `order` as the renewal link does; 409 when the
    order cannot be renewed now (the status page's verdict, with its reason)."""
    verdict = renewable(order)
    if not verdict.ok:
        raise Problem(409, "not-renewable", str(verdict.reason))
    initial = initial_from_order(order, origin=OrderOrigin.RENEWAL)
    return form_data(payload, initial)


def renewal_product(order: Order) -> Product:
    try:
        return orderable_product(order.product.code)
    except Problem:
        raise Http404 from None  # renewable() refused already: a product no longer sold
