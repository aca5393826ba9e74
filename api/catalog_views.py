"""GET /products (ORD-1, PRICE-1), the organisations (ORD-2) and contacts (ADM-10): what an order
is made of. New organisations and contacts go through the order form's and the contacts page's
forms and the services they call (`create_organisation`, `create_contact`)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.administration.contacts import ContactForm
from accounts.models import Contact, Organisation, Right
from accounts.organisations import create_contact, create_organisation
from billing.services.pricing import grid_rows, price_for
from catalog.services import products_by_type
from contracts.services.rules import ordering_rules
from orders.forms.parts import NewOrganisationForm

from .base import ApiView, api_account, api_user
from .problems import invalid_form
from .serializers import (
    ContactDetailSerializer,
    ContactInputSerializer,
    OrganisationInputSerializer,
    OrganisationSerializer,
    ProductSerializer,
)


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


class OrganisationList(ApiView):
    """The account's organisations with their contacts: the holder and contacts of a new order."""

    required_rights = (Right.TECHNICAL, Right.ADMINISTRATIVE)  # the order form, the contacts page

    @extend_schema(
        responses=OrganisationSerializer(many=True),
        summary=gettext_lazy("Holder organisations and their contacts"),
        tags=["catalogue"],
        description=gettext_lazy(
            "The account's organisations with their contacts: the holder and contacts of a new order."
        ),
    )
    def get(self, request: Request) -> Response:
        organisations = (
            Organisation.objects.filter(account=api_account(request))
            .prefetch_related(
                Prefetch("contacts", queryset=Contact.objects.order_by("last_name", "first_name"))
            )
            .order_by("name", "pk")
        )
        return Response(OrganisationSerializer(organisations, many=True).data)

    @extend_schema(
        request=OrganisationInputSerializer,
        responses={201: OrganisationSerializer},
        summary=gettext_lazy("Add a holder organisation"),
        tags=["catalogue"],
        description=gettext_lazy(
            "A new organisation of the account, checked as on the order form: a French one needs a valid SIREN or SIRET, and a number already in the account is refused."
        ),
    )
    def post(self, request: Request) -> Response:
        account = api_account(request)
        payload = OrganisationInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        form = NewOrganisationForm(payload.validated_data, account=account)
        if not form.is_valid():
            raise invalid_form(form)
        organisation = create_organisation(
            account, user=api_user(request), request=request._request, **form.cleaned_data
        )
        return Response(OrganisationSerializer(organisation).data, status=201)


class ContactList(ApiView):
    """ADM-10: the people offered as an order's contacts; add one to an organisation."""

    required_rights = (Right.TECHNICAL, Right.ADMINISTRATIVE)  # the order form, the contacts page

    @extend_schema(
        responses=ContactDetailSerializer(many=True),
        summary=gettext_lazy("Contacts"),
        tags=["catalogue"],
        description=gettext_lazy("The account's contacts, by name, with their organisation."),
    )
    def get(self, request: Request) -> Response:
        contacts = (
            Contact.objects.filter(account=api_account(request))
            .select_related("organisation")
            .order_by("last_name", "first_name", "pk")
        )
        return Response(ContactDetailSerializer(contacts, many=True).data)

    @extend_schema(
        request=ContactInputSerializer,
        responses={201: ContactDetailSerializer},
        summary=gettext_lazy("Add a contact"),
        tags=["catalogue"],
        description=gettext_lazy(
            "A new contact of one of the account's organisations (its id from GET /organisations), as on the contacts page."
        ),
    )
    def post(self, request: Request) -> Response:
        account = api_account(request)
        payload = ContactInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        form = ContactForm(payload.validated_data, account=account)
        if not form.is_valid():
            raise invalid_form(form)
        fields = {name: value for name, value in form.cleaned_data.items() if name != "organisation"}
        contact = create_contact(
            form.cleaned_data["organisation"], user=api_user(request), request=request._request, **fields
        )
        return Response(ContactDetailSerializer(contact).data, status=201)
