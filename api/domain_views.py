"""GET /domains (ORD-8): the domains the account's orders validated; POST /domains (AUTO-3): register
a domain ahead of an order, through the domain page's form and `register_domain`."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from orders.domain_forms import RegisterDomainForm
from orders.services.domain_registry import DomainError, register_domain
from orders.services.domains import account_domains

from .base import LIST_RIGHTS, TECHNICAL, ApiView, Pages, api_account, api_user
from .problems import Problem, invalid_form
from .serializers import DomainSerializer


class DomainInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=300,
        help_text=gettext_lazy("The domain, for example example.com; internationalised names are accepted."),
    )


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
    rights_by_method = {"POST": (TECHNICAL,)}  # noqa: RUF012 (read only): registering is ordering's right
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

    @extend_schema(
        request=DomainInputSerializer,
        responses={201: DomainSerializer},
        summary=gettext_lazy("Register a domain"),
        tags=["domains"],
        description=gettext_lazy(
            "Register a domain ahead of any order (AUTO-3), to validate it from its page; its name is checked as the page's form does."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = DomainInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        account = api_account(request)
        form = RegisterDomainForm({"name": payload.validated_data["name"]}, account=account)
        if not form.is_valid():
            raise invalid_form(form)
        try:
            domain = register_domain(
                account, form.cleaned_data["name"], user=api_user(request), request=request._request
            )
        except DomainError as exc:
            raise Problem(409, "duplicate", exc.message) from None
        data = {
            "domain": domain.name,
            "validated_at": None,
            "reusable_until": None,
            "reusable": False,
            "method": "",
            "order": "",
        }
        return Response(DomainSerializer(data).data, status=201)
