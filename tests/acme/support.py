"""Shared helpers of the ACME tests (AUTO-2): a DV product, an account that can pay, an endpoint."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Account, Contact, Organisation, User
from acmeserver.models import AcmeEndpoint
from acmeserver.services.endpoints import create_endpoint
from catalog.models import Product, ProductType
from tests import factories


def dv_product(code: str = "ssl-dv", **fields) -> Product:
    return factories.make_product(
        code,
        price=Decimal("50.00"),
        product_type=ProductType.SERVER_DV,
        validation="DV",
        **fields,
    )


def holder(account: Account) -> tuple[Organisation, Contact, Contact]:
    organisation = Organisation.objects.get(account=account)
    admin, tech = Contact.objects.filter(account=account).order_by("pk")[:2]
    return organisation, admin, tech


def make_endpoint(
    account: Account, user: User, product: Product, name: str = "Web servers"
) -> tuple[AcmeEndpoint, str]:
    organisation, admin, tech = holder(account)
    created = create_endpoint(
        account,
        name=name,
        product=product,
        period_months=12,
        organisation=organisation,
        admin_contact=admin,
        technical_contact=tech,
        by=user,
    )
    return created.endpoint, created.hmac_key
