"""The work lists of the menu through the API (LIST-3): the orders awaiting an approver (the approval
list, ORD-5) and the certificates to accept (LIFE-8), each from the service its page reads, with
its page's right."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from orders.services.actions import acceptance_deadline, certificates_to_accept
from orders.services.approval import pending_orders

from .base import APPROVAL, LIST_RIGHTS, ApiView, api_account
from .order_views import summary
from .serializers import CertificateToAcceptSerializer, OrderSummarySerializer


@extend_schema(
    responses=OrderSummarySerializer(many=True),
    summary=gettext_lazy("Orders awaiting approval"),
    tags=["orders"],
    description=gettext_lazy(
        "The account's orders awaiting an approver, oldest first (the approval list): approve or reject "
        "each with POST /orders/{reference}/approve or /reject."
    ),
)
class ApprovalList(ApiView):
    required_rights = (APPROVAL,)  # as orders.views.approval.approval_list

    def get(self, request: Request) -> Response:
        orders = pending_orders(api_account(request)).select_related("organisation")
        return Response(OrderSummarySerializer([summary(o) for o in orders], many=True).data)


@extend_schema(
    responses=CertificateToAcceptSerializer(many=True),
    summary=gettext_lazy("Certificates to accept"),
    tags=["orders"],
    description=gettext_lazy(
        "The account's valid certificates of brands that require acceptance, not accepted yet, oldest "
        "first, with the date by which each must be accepted (the “Certificates to accept” list)."
    ),
)
class CertificatesToAccept(ApiView):
    required_rights = LIST_RIGHTS  # as orders.views.actions.to_accept

    def get(self, request: Request) -> Response:
        rows = [
            {
                "order": certificate.order.reference,
                "serial": certificate.serial,
                "common_name": certificate.common_name,
                "brand": certificate.order.product.brand.name,
                "delivered_at": certificate.created_at,
                "deadline": acceptance_deadline(certificate, certificate.order.product.brand.code),
                "accept_url": reverse("api:accept", args=[certificate.order.reference, certificate.serial]),
            }
            for certificate in certificates_to_accept(api_account(request))
        ]
        return Response(CertificateToAcceptSerializer(rows, many=True).data)
