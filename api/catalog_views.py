"""GET /products (ORD-1, PRICE-1) and GET /organisations (ORD-2): what an order is made of."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Contact, Organisation, Right
from billing.services.pricing import grid_rows, price_for
from catalog.services import products_by_type
from contracts.services.rules import ordering_rules

from .base import ApiView, api_account
from .serializers import OrganisationSerializer, ProductSerializer


@extend_schema(
    responses=ProductSerializer(many=True),
    summary=gettext_lazy("Products and prices for the account"),
    tags=["catalogue"],
    description=gettext_lazy(
        "Every product on sale the account may see, as the new order page lists them (products outside a contract in force are left out; one whose brand terms are not accepted says why), with each period's public price and the account's own price (its billing formula's grid), excl. VAT."
    ),
)
class ProductList(ApiView):
    """Every product on sale the account may see, as the new order page lists them (products outside
    a contract in force are left out; one whose brand terms are not accepted says why), with each
    period's public price and the account's own price (its billing formula's grid), excl. VAT."""

    # The price table is open to every user of an account (PRICE-1): any API user.

    def get(self, request: Request) -> Response:
        account = api_account(request)
        rules = ordering_rules(account)
        grid = grid_rows(account.formula)
        rows = []
        for products in products_by_type(include_test=True).values():
            for product in products:
                if rules.hides(product):
                    continue
                refusal = rules.refusal(product)
                rows.append(
                    {
                        "code": product.code,
                        "name": product.name,
                        "brand": product.brand,
                        "product_type": product.product_type,
                        "validation": product.validation,
                        "is_test": product.is_test,
                        "orderable": refusal is None,
                        "refusal": str(refusal.message) if refusal else "",
                        "periods": [
                            {
                                "months": period.months,
                                "public_price": period.price,
                                "price": price_for(
                                    product, period.months, formula=account.formula, quantity=1, grid=grid
                                ),
                            }
                            for period in product.periods.all()
                        ],
                    }
                )
        return Response(ProductSerializer(rows, many=True).data)


@extend_schema(
    responses=OrganisationSerializer(many=True),
    summary=gettext_lazy("Holder organisations and their contacts"),
    tags=["catalogue"],
    description=gettext_lazy(
        "The account's organisations with their contacts: the holder and contacts of a new order."
    ),
)
class OrganisationList(ApiView):
    """The account's organisations with their contacts: the holder and contacts of a new order."""

    required_rights = (Right.TECHNICAL, Right.ADMINISTRATIVE)  # the order form, the contacts page

    def get(self, request: Request) -> Response:
        organisations = (
            Organisation.objects.filter(account=api_account(request))
            .prefetch_related(
                Prefetch("contacts", queryset=Contact.objects.order_by("last_name", "first_name"))
            )
            .order_by("name", "pk")
        )
        return Response(OrganisationSerializer(organisations, many=True).data)
