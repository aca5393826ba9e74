"""GET /domains (ORD-8, read-only): the domains the account's orders validated."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from orders.services.domains import account_domains

from .base import LIST_RIGHTS, ApiView, Pages, api_account
from .serializers import DomainSerializer


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description=gettext_lazy("Keep the domains containing this fragment."))
    ],
    responses=DomainSerializer(many=True),
    summary=gettext_lazy("The account's domains and their validations"),
    tags=["domains"],
    description=gettext_lazy(
        "Every domain an order of the account had to validate, once, with its latest validation and until when it may be reused for a new certificate (BR 4.2.1)."
    ),
)
class DomainList(ApiView, generics.GenericAPIView):
    """Every domain an order of the account had to validate, once, with its latest validation and
    until when it may be reused for a new certificate (BR 4.2.1)."""

    required_rights = LIST_RIGHTS  # as the order's validation page
    pagination_class = Pages

    def get(self, request: Request) -> Response:
        now = timezone.now()
        rows = account_domains(api_account(request), search=request.query_params.get("q", ""), now=now)
        page = self.paginate_queryset(rows)
        assert page is not None
        data = [
            {
                "domain": row.domain,
                "validated_at": row.validated_at,
                "reusable_until": row.reusable_until,
                "reusable": row.reusable(now),
                "method": row.method,
                "order": row.order_reference,
            }
            for row in page
        ]
        return self.get_paginated_response(DomainSerializer(data, many=True).data)
