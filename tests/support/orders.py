"""Builders shared by the order tests (no test here): orders in a chosen status, a valid form POST.

Kept beside the tests they serve until tests/factories.py gains `make_order` (see the report).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, Contact, Organisation
from catalog.models import Product
from orders.csr import parse_csr
from orders.models import Order, OrderStatus
from tests.factories import make_csr, make_key


def contacts_of(account: Account) -> tuple[Organisation, Contact, Contact]:
    """The account's own organisation and its two contacts (admin, tech) as the factory made them."""
    holder = Organisation.objects.get(account=account, is_account_holder=True)
    admin = Contact.objects.get(account=account, email__startswith="admin@")
    tech = Contact.objects.get(account=account, email__startswith="tech@")
    return holder, admin, tech


def make_order(
    account: Account,
    product: Product,
    *,
    status: str = OrderStatus.AWAITING_PAYMENT,
    common_name: str = "www.acme.test",
    sans: list[str] | None = None,
    key=None,
    paid: bool = False,
    server_software: str = "apache",
    **fields,
) -> Order:
    """An order saved as the order form would leave it, without going through the service."""
    holder, admin, tech = contacts_of(account)
    sans = ["acme.test"] if sans is None else sans
    key = key or make_key("p256")
    info = parse_csr(make_csr(common_name, sans, key=key))
    return Order.objects.create(
        account=account,
        product=product,
        period_months=12,
        price_excl_vat=Decimal("120.00"),
        status=status,
        organisation=holder,
        admin_contact=admin,
        technical_contact=tech,
        server_software=server_software,
        common_name=common_name,
        sans=sans,
        csr=info.pem,
        csr_public_key_sha256=info.public_key_sha256,
        dcv_method="dns",
        paid_at=timezone.now() if paid else None,
        **fields,
    )


def form_data(account: Account, **overrides) -> dict[str, str]:
    """A valid ORD-2 POST: the account's organisation and contacts, a fresh P-256 CSR."""
    holder, admin, tech = contacts_of(account)
    data = {
        "months": "12",
        "organisation": holder.public_id,
        "admin_contact": admin.public_id,
        "technical_contact": tech.public_id,
        "server_software": "nginx",
        "server_software_other": "",
        "common_name": "www.acme.test",
        "sans": "acme.test\nmail.acme.test\nshop.example.org",
        "csr": make_csr(
            "www.acme.test", ["acme.test", "mail.acme.test", "shop.example.org"], key=make_key("p256")
        ),
        "dcv_method": "dns",
        "customer_reference": "PO-2026-042",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def pass_dcv(order, staff, *, now=None):
    """ORD-8: the validation team marks every domain of a server order as validated."""
    from orders.services.dcv import validate_order_dcv_manually

    validate_order_dcv_manually(order, by=staff, note="Validated by the validation team", now=now)
    return order
