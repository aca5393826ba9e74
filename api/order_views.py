"""Orders through the API: the list with the pages' filters (LIST-1..4), one order's status
(LIFE-2), a new order (ORD-2, ORD-3) and a renewal (ORD-10), with idempotency keys."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Right, User
from orders.filters import OrderFilter
from orders.models import Certificate, Order, OrderStatus
from orders.services.actions import acceptance_deadline, can_accept, can_comment, cancel_target, is_revocable
from orders.services.approval import approval_refusal
from orders.services.downloads import offered_formats
from orders.services.listing import DATE_FIELDS, DEFAULT_GROUP, GROUPS, SEARCH_FIELDS, orders_for
from orders.services.payment import awaits_holdings
from orders.services.reissue import reissue_refusal
from orders.services.renewal import renewable

from .base import (
    LIST_RIGHTS,
    STATUS_PAGE_RIGHTS,
    TECHNICAL,
    ApiView,
    Pages,
    api_account,
    api_user,
    load_order,
)
from .idempotency import HEADER, idempotent
from .ordering import form_data, orderable_product, place, renewal_data, renewal_product
from .problems import Problem, invalid_form
from .serializers import (
    OrderDetailSerializer,
    OrderInputSerializer,
    OrderSummarySerializer,
    RenewInputSerializer,
)


def order_url(order: Order) -> str:
    return reverse("api:order", args=[order.reference])


def _download_url(order: Order, certificate: Certificate, fmt: str) -> str:
    return reverse("api:download", args=[order.reference, certificate.serial, fmt])


def summary(order: Order) -> dict[str, Any]:
    return {
        "reference": order.reference,
        "status": order.status,
        "get_status_display": order.get_status_display(),
        "product": order.product,
        "common_name": order.common_name,
        "sans": list(order.sans or []),
        "organisation": order.organisation,
        "customer_reference": order.customer_reference,
        "created_at": order.created_at,
        "delivered_at": order.delivered_at,
        "valid_until": getattr(order, "valid_until", None),
        "url": order_url(order),
    }


def detail(order: Order, user: User) -> dict[str, Any]:
    """LIFE-2 for the API: the order, its certificates with their downloads, and the actions the
    user may take now (the same rules as the status page's buttons)."""
    now = timezone.now()
    certificates = list(order.certificates.select_related("issuer").order_by("-created_at", "-id"))
    technical = user.has_right(Right.TECHNICAL)
    payer = technical or user.has_right(Right.BILLING)
    brand = order.product.brand.code
    verdict = renewable(order, now)
    refusal = reissue_refusal(order, now)
    revocable = {c.pk for c in certificates if is_revocable(c, now)}
    return {
        **summary(order),
        "valid_until": certificates[0].not_after if certificates else None,
        "origin": order.origin,
        "period_months": order.period_months,
        "price_excl_vat": order.price_excl_vat,
        "dcv_method": order.dcv_method,
        "server_software": order.server_software,
        "paid_at": order.paid_at,
        "cancelled_at": order.cancelled_at,
        "source_order": order.source_order.reference if order.source_order is not None else None,
        "certificates": [
            {
                "serial": c.serial,
                "common_name": c.common_name,
                "state": c.state,
                "not_before": c.not_before,
                "not_after": c.not_after,
                "revoked_at": c.revoked_at,
                "revocable": technical and c.pk in revocable,
                "accepted_at": c.accepted_at,
                "acceptable": technical and can_accept(c),
                "acceptance_deadline": acceptance_deadline(c, brand) if can_accept(c) else None,
                "downloads": [
                    {"format": fmt, "url": _download_url(order, c, fmt)} for fmt in offered_formats(c)
                ],
            }
            for c in certificates
        ],
        "actions": {
            "cancel": technical and cancel_target(order) is not None,
            "renew": technical and verdict.ok,
            "renew_refusal": "" if verdict.ok else str(verdict.reason),
            "reissue": technical and refusal is None,
            "reissue_refusal": refusal or "",
            "revoke": technical and bool(revocable),
            # As the status page's buttons (orders.views.status._actions).
            "approve": user.has_right(Right.APPROVAL) and approval_refusal(order) is None,
            "pay": payer and awaits_holdings(order),
            "comment": technical and can_comment(order),
        },
    }


def detail_response(order: Order, user: User, *, status: int = 200) -> Response:
    order = Order.objects.select_related("product__brand", "organisation", "source_order").get(pk=order.pk)
    response = Response(OrderDetailSerializer(detail(order, user)).data, status=status)
    if status == 201:
        response["Location"] = order_url(order)
    return response


# The list ------------------------------------------------------------------------------------------

_LIST_PARAMETERS = [
    OpenApiParameter(
        "group",
        str,
        enum=list(GROUPS),
        description=gettext_lazy("Tab of the order list (all by default)."),
        default=DEFAULT_GROUP,
    ),
    OpenApiParameter(
        "field",
        str,
        description=format_lazy(
            gettext_lazy(
                "Field the keyword is looked for in: {fields}, or custom_1..custom_4 when the account labels them."
            ),
            fields=", ".join(SEARCH_FIELDS),
        ),
    ),
    OpenApiParameter("q", str, description=gettext_lazy("Keyword (a fragment, case-insensitive).")),
    OpenApiParameter(
        "dates", str, enum=list(DATE_FIELDS), description=gettext_lazy("Date the period applies to.")
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("product", int, description=gettext_lazy("Product id.")),
    OpenApiParameter("brand", int, description=gettext_lazy("Brand id.")),
    OpenApiParameter("status", str, enum=list(OrderStatus.values)),
    OpenApiParameter("ordered_by", int, description=gettext_lazy("Id of the user who placed the order.")),
]


class OrderList(ApiView, generics.GenericAPIView):
    """The account's orders (GET) and a new order (POST)."""

    pagination_class = Pages

    def get_permissions(self) -> Any:
        self.required_rights = (TECHNICAL,) if self.request.method == "POST" else LIST_RIGHTS
        return super().get_permissions()

    @extend_schema(
        parameters=_LIST_PARAMETERS,
        responses=OrderSummarySerializer(many=True),
        summary=gettext_lazy("The account's orders"),
        description=gettext_lazy(
            "The account's orders, newest first, with the filters of the order list page."
        ),
        tags=["orders"],
    )
    def get(self, request: Request) -> Response:
        account = api_account(request)
        group = request.query_params.get("group", DEFAULT_GROUP)
        if group not in GROUPS:
            raise Problem(
                400,
                "invalid",
                _("The request has invalid fields: see errors."),
                errors=[
                    {
                        "detail": _("Choose one of: %(groups)s.") % {"groups": ", ".join(GROUPS)},
                        "pointer": "#/group",
                    }
                ],
            )
        filterset = OrderFilter(request.query_params or None, orders_for(account, group), account=account)
        if filterset.is_bound and not filterset.is_valid():
            raise invalid_form(filterset.form)
        orders = filterset.qs.order_by("-created_at", "-id")
        page = self.paginate_queryset(orders)
        assert page is not None
        return self.get_paginated_response(OrderSummarySerializer([summary(o) for o in page], many=True).data)

    @extend_schema(
        request=OrderInputSerializer,
        responses={201: OrderDetailSerializer},
        parameters=[
            OpenApiParameter(
                HEADER,
                str,
                OpenApiParameter.HEADER,
                description=gettext_lazy(
                    "A key of your choice: the same key with the same body answers the first order again "
                    "instead of placing another; with another body: 422."
                ),
            )
        ],
        summary=gettext_lazy("Place a new order"),
        description=gettext_lazy(
            "A new order, checked and placed as the order form's “Confirm the order” does (holder and "
            "contacts picked from /organisations)."
        ),
        tags=["orders"],
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        payload = OrderInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data

        def create(token: str) -> Response:
            product = orderable_product(data["product"])
            order = place(
                product,
                form_data(data),
                data.get("payment", {}),
                user=user,
                request=request._request,
                token=token,
            )
            return detail_response(order, user, status=201)

        return idempotent(request, create)


@extend_schema(
    responses=OrderDetailSerializer,
    summary=gettext_lazy("One order: status, certificates, actions"),
    description=gettext_lazy(
        "The order's status, its certificates with their download links, and the actions the API user "
        "may take now (the same rules as the status page's buttons)."
    ),
    tags=["orders"],
)
class OrderDetail(ApiView):
    required_rights = STATUS_PAGE_RIGHTS

    def get(self, request: Request, reference: str) -> Response:
        return detail_response(load_order(request, reference), api_user(request))


@extend_schema(
    request=RenewInputSerializer,
    responses={201: OrderDetailSerializer},
    parameters=[
        OpenApiParameter(
            HEADER, str, OpenApiParameter.HEADER, description=gettext_lazy("As for a new order.")
        )
    ],
    summary=gettext_lazy("Renew an order (a new order, identical)"),
    description=gettext_lazy(
        "A new order prefilled from this one, as the renewal link does; refused (409) with the status "
        "page's reason when the order cannot be renewed now."
    ),
    tags=["orders"],
)
class OrderRenew(ApiView):
    """ORD-10: a new order prefilled from this one, as the renewal link does; refused (409) with the
    status page's reason when the order cannot be renewed now."""

    required_rights = (TECHNICAL,)

    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        order = load_order(request, reference)
        payload = RenewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data

        def create(token: str) -> Response:
            form = renewal_data(order, data)
            product = renewal_product(order)
            renewal = place(
                product, form, data.get("payment", {}), user=user, request=request._request, token=token
            )
            return detail_response(renewal, user, status=201)

        return idempotent(request, create)
