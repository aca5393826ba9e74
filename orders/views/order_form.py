"""ORD-2 / ORD-4 order form → ORD-3 review (double validation) → confirm → confirmation page.

Every product type goes through this flow; its form has the fields its profile asks for
(orders.services.kinds). A valid form is kept in the session under a random token; the review
re-validates it (an organisation or contact may have changed meanwhile) and "Confirm the order"
places it with that token, so a second confirmation finds the first order instead of creating
another. `?from=<reference>&origin=<renewal|clone|migration>` prefills the form from a past order
of the account (ORD-10, ORD-12).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from billing.services.coupons import CouponError
from billing.services.ledger import InsufficientBalance
from billing.services.monthly import ChargeError
from billing.services.promos import PromoCodeError
from catalog.models import Product

from ..forms import OrderRequest
from ..forms.payment import PaymentForm
from ..models import Order, OrderStatus
from ..services.amounts import order_amounts, plan_amounts
from ..services.invitation import awaits_invitation
from ..services.kinds import profile_for
from ..services.ordering import OrderError, find_submitted, initial_status
from ..services.payment import cash_only_message, payment_summary
from ..services.prefill import PREFILL_ORIGINS, initial_from_order

DRAFTS = "order_drafts"
# ORD-9 (h19): refusals of billing at confirmation, shown back on the review page.
PAYMENT_REFUSALS = (InsufficientBalance, CouponError, PromoCodeError, ChargeError)
MAX_DRAFTS = 10


def _orderable(product_code: str) -> Product:
    """An active product of an active brand, or 404."""
    try:
        return (
            Product.objects.select_related("brand")
            .prefetch_related("periods")
            .get(code=product_code, active=True, brand__active=True)
        )
    except Product.DoesNotExist:
        raise Http404 from None


def _save_draft(request: AuthenticatedRequest, product: Product) -> str:
    token = secrets.token_urlsafe(18)
    drafts = request.session.get(DRAFTS, {})
    # Lists, not single values: a multiple choice (PSD2 roles) keeps every box ticked.
    data = {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}
    drafts[token] = {"product": product.code, "data": data}
    request.session[DRAFTS] = dict(list(drafts.items())[-MAX_DRAFTS:])
    return token


def _load_draft(request: AuthenticatedRequest, token: str) -> dict | None:
    """The draft with its POST data as a MultiValueDict, as the form received it."""
    draft = request.session.get(DRAFTS, {}).get(token)
    if draft is None:
        return None
    data = MultiValueDict(
        {key: value if isinstance(value, list) else [value] for key, value in draft["data"].items()}
    )
    return {**draft, "data": data}


def _initial(request: AuthenticatedRequest, product: Product) -> dict:
    """ORD-2 "prefilled from the account": its own organisation and registered contacts; or, with
    `?from=&origin=`, everything from a past order of the account (404 for another account's)."""
    account = request.user.account
    source_reference, origin = request.GET.get("from"), request.GET.get("origin")
    if source_reference or origin:
        if origin not in PREFILL_ORIGINS:
            raise Http404
        source = get_for_account(
            Order.objects.select_related(
                "product__brand", "organisation", "admin_contact", "technical_contact", "legal_representative"
            ),
            account,
            reference=source_reference,
        )
        return initial_from_order(source, origin=origin, product=product)
    initial: dict = {"months": request.GET.get("months")}
    holder = account.holder
    if holder is not None:
        initial["organisation"] = holder.public_id
        admin = account.administrative_contact
        if admin is not None and admin.organisation_id == holder.pk:
            initial["admin_contact"] = admin.public_id
    if account.technical_contact is not None:
        initial["technical_contact"] = account.technical_contact.public_id
    return initial


@right_required(Right.TECHNICAL)
def order_form(request: AuthenticatedRequest, product_code: str) -> HttpResponseBase:
    product = _orderable(product_code)
    account = request.user.account
    if request.method == "POST":
        order_request = OrderRequest(request.POST, account=account, product=product)
        if order_request.is_valid():
            return redirect("operations:review", token=_save_draft(request, product))
    elif (draft := _load_draft(request, request.GET.get("draft", ""))) and draft["product"] == product.code:
        # "Modify" from the review page: the form as it was posted.
        order_request = OrderRequest(draft["data"], account=account, product=product)
        order_request.is_valid()
    else:
        order_request = OrderRequest(account=account, product=product, initial=_initial(request, product))
    return render(
        request,
        "orders/order_form.html",
        {
            "product": product,
            "req": order_request,
            "profile": order_request.profile,
            "keybot_context": order_request.keybot_context() if order_request.profile.csr else None,
            "can_decide": request.user.has_right(Right.ADMINISTRATIVE),  # CON-1, CON-2 refusal links
        },
    )


def _bound_draft(request: AuthenticatedRequest, token: str) -> tuple[Any, ...]:
    """The draft's product and re-validated request, or a redirect when it expired or went invalid."""
    draft = _load_draft(request, token)
    if draft is None:
        messages.warning(request, _("This order form has expired: please fill it in again."))
        return None, None, redirect("operations:new")
    product = _orderable(draft["product"])
    order_request = OrderRequest(draft["data"], account=request.user.account, product=product)
    if not order_request.is_valid():
        messages.error(request, _("Something in the order changed meanwhile: please check the form."))
        url = reverse("operations:order", args=[product.code]) + f"?draft={token}"
        return product, None, redirect(url)
    return product, order_request, None


def _payment_form(
    request: AuthenticatedRequest, product: Product, order_request: OrderRequest, summary: dict
) -> PaymentForm:
    """ORD-9 (h19): the review page's payment form, bound to the POST when there is one.

    A POST without any payment field (the page always sends the checked method) takes the default
    method, as the page would have shown it checked."""
    form = PaymentForm(
        None,
        account=request.user.account,
        product=product,
        months=summary["months"],
        public_total=summary["price_excl_vat"],
    )
    if request.method != "POST":
        return form
    data = request.POST if "method" in request.POST else {"method": form.offer.default}
    return PaymentForm(
        data,
        account=request.user.account,
        product=product,
        months=summary["months"],
        public_total=summary["price_excl_vat"],
    )


def _render_review(
    request: AuthenticatedRequest,
    token: str,
    product: Product,
    order_request: OrderRequest,
    summary: dict[str, Any],
    payment_form: PaymentForm,
    *,
    status: int = 200,
) -> HttpResponse:
    plan = payment_form.preview() if payment_form.is_bound is False or payment_form.is_valid() else None
    # ORD-5: the approval banner only for a user whose order will wait for an approver.
    summary = {
        **summary,
        "approval_needed": initial_status(request.user.account, request.user)
        == OrderStatus.AWAITING_APPROVAL,
    }
    return render(
        request,
        "orders/review.html",
        {
            "product": product,
            "req": order_request,
            "data": order_request.order.cleaned_data,
            "summary": summary,
            "token": token,
            "payment_form": payment_form,
            "plan": plan,
            # One price everywhere (issue 8): the buyer's real VAT, the plan's total for its method.
            "amounts": plan_amounts(request.user.account, None, summary["price_excl_vat"]),
            "plan_amounts": plan_amounts(request.user.account, plan, summary["price_excl_vat"])
            if plan is not None
            else None,
            "offer": payment_form.offer,
            "cash_only_message": cash_only_message(),
            "modify_url": reverse("operations:order", args=[product.code]) + f"?draft={token}",
        },
        status=status,
    )


@right_required(Right.TECHNICAL)
def review(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """ORD-3: everything the order will contain, its price and the CSR hints, before confirming.

    ORD-9 (h19): with the payment form; a POST here previews the payment chosen (promo code,
    coupon, term), a POST to `confirm` places the order with it.
    """
    existing = find_submitted(request.user.account, token)
    if existing is not None:
        return redirect("operations:confirmation", reference=existing.reference)
    product, order_request, response = _bound_draft(request, token)
    if response is not None:
        return response
    summary = order_request.summary()
    payment_form = _payment_form(request, product, order_request, summary)
    return _render_review(request, token, product, order_request, summary, payment_form)


@right_required(Right.TECHNICAL)
@require_POST
def confirm(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """ORD-3 "Confirm the order": places it once, whatever the number of clicks."""
    account = request.user.account
    existing = find_submitted(account, token)
    if existing is not None:
        return redirect("operations:confirmation", reference=existing.reference)
    product, order_request, response = _bound_draft(request, token)
    if response is not None:
        return response
    # ORD-9 (h19): the payment chosen on the review page, checked again now.
    summary = order_request.summary()
    payment_form = _payment_form(request, product, order_request, summary)
    if not payment_form.is_valid():
        return _render_review(request, token, product, order_request, summary, payment_form, status=400)
    try:
        order = order_request.place(
            user=request.user, request=request, token=token, payment=payment_form.plan
        )
    except PAYMENT_REFUSALS as exc:
        # A balance spent, a coupon or promo code used meanwhile: nothing was created (rolled back).
        payment_form.add_error(
            None,
            _("The payment could not be made: %(reason)s Please choose again.") % {"reason": exc.args[0]},
        )
        return _render_review(request, token, product, order_request, summary, payment_form, status=409)
    except IntegrityError:
        # A simultaneous confirmation with this token won (its new organisation or its order).
        existing = find_submitted(account, token)
        if existing is None:
            raise
        order = existing
    except OrderError as exc:
        messages.error(request, exc.args[0])
        return redirect(reverse("operations:order", args=[product.code]) + f"?draft={token}")
    return redirect("operations:confirmation", reference=order.reference)


@right_required(Right.TECHNICAL)
def confirmation(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    """ORD-3: the order reference, its status and the processing steps ahead."""
    order = get_for_account(
        Order.objects.select_related("product__brand", "technical_contact", "admin_contact"),
        request.user.account,
        reference=reference,
    )
    return render(
        request,
        "orders/confirmation.html",
        {
            "order": order,
            "profile": profile_for(order.product),
            "invitation_pending": awaits_invitation(order),
            "payment": payment_summary(order),
            "amounts": order_amounts(order),
            "can_download": request.user.has_right(Right.BILLING),
        },
    )
