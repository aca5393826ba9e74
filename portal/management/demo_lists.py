"""Demo data for the lists (LIST-1..4, ADM-7, PLAT-8): a few hundred more orders for the partner.

`demo_orders` walks each order through the services; that is right for a few dozen but too slow
for the hundreds the lists need to show search, filters and pages. These are written in bulk in
the shape the services leave: real CSRs, real certificates from the brand's embedded CA (signed
in the past, so some have expired), references, custom field values, spread over 14 months.
They are keyed by their submission token, so a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cryptography import x509
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, ProductPeriod, ProductType
from orders.ca import get_connector
from orders.csr import public_key_sha256
from orders.models import Certificate, Order, OrderStatus, ServerSoftware, refresh_certificate_ends

from .demo_accounts import DemoAccount
from .demo_orders import make_csr

S = OrderStatus
TOKEN_PREFIX = "demo-list-"  # noqa: S105 (a submission token prefix, no secret)
COUNT = 240
MAX_AGE_DAYS = 425
# The final status of each order, by weight: mostly delivered, every list has rows.
STATUS_WEIGHTS = {
    S.DELIVERED_PAID: 52,
    S.DELIVERED_NOT_PAID: 8,
    S.AWAITING_PAYMENT: 6,
    S.AWAITING_DCV: 6,
    S.UNDER_VERIFICATION: 4,
    S.DORMANT: 3,
    S.AWAITING_APPROVAL: 3,
    S.QUOTE: 3,
    S.CANCELLED: 8,
    S.CANCELLED_REFUNDED: 4,
    S.NO_FOLLOWUP_FEE_PAID: 3,
}
HOSTS = ("www", "shop", "mail", "api", "intranet", "vpn", "blog", "cdn", "app", "extranet", "git", "crm")
COST_CENTRES = ("CC-100 Hosting", "CC-200 Web agency", "CC-300 Mail", "CC-400 Internal")
PROJECTS = ("Migration 2026", "E-commerce", "Customer portals", "Renewals", "Intranet")
SOFTWARE = [ServerSoftware.APACHE, ServerSoftware.NGINX, ServerSoftware.IIS, ServerSoftware.HAPROXY]


def ensure_list_orders(demo: DemoAccount, now: datetime | None = None) -> int:
    """Add the list orders to `demo`'s account once; returns how many were created."""
    account = demo.account
    if Order.objects.filter(account=account, submission_token__startswith=TOKEN_PREFIX).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(17)  # noqa: S311 (demo data, reproducible)
    if not account.custom_label_1:
        account.custom_label_1, account.custom_label_2 = "Cost centre", "Project"
        account.save(update_fields=["custom_label_1", "custom_label_2"])
    products = list(
        Product.objects.filter(active=True, product_type__in=[ProductType.SERVER_DV, ProductType.SERVER_OV])
        .select_related("brand")
        .order_by("code")
    )
    prices = {p.product_id: p.price for p in ProductPeriod.objects.filter(product__in=products, months=12)}
    users = list(demo.users.values())
    # ORD-5: only a non-approver's order waits for approval (an approver's own goes straight on).
    orderers = [
        u for u in users if u.right_technical and not u.is_account_superuser and not u.right_approval
    ] or users[:1]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    orders: list[Order] = []
    for index in range(COUNT):
        product = products[index % len(products)]
        organisation, _spec, contacts = demo.organisations[index % len(demo.organisations)]
        host = HOSTS[index % len(HOSTS)]
        common_name = f"{host}{index}.{demo.spec.domain}"
        sans = [f"{HOSTS[(index + 3) % len(HOSTS)]}{index}.{demo.spec.domain}"] if index % 3 else []
        created = now - timedelta(days=rng.randint(1, MAX_AGE_DAYS), minutes=rng.randint(0, 1440))
        status = rng.choices(statuses, weights)[0]
        if status == S.AWAITING_APPROVAL and not account.approval_mode:
            status = S.AWAITING_PAYMENT
        orderer = (
            orderers[index % len(orderers)] if status == S.AWAITING_APPROVAL else users[index % len(users)]
        )
        csr = make_csr((common_name, *sans), organisation.name)
        key = x509.load_pem_x509_csr(csr.encode()).public_key()
        orders.append(
            Order(
                account=account,
                product=product,
                period_months=12,
                price_excl_vat=prices.get(product.pk, 0),
                status=status,
                organisation=organisation,
                admin_contact=contacts[0],
                technical_contact=contacts[-1],
                server_software=SOFTWARE[index % len(SOFTWARE)],
                common_name=common_name,
                sans=sans,
                csr=csr,
                csr_public_key_sha256=public_key_sha256(key),
                dcv_method="dns",
                created_by=orderer,
                created_at=created,
                paid_at=created + timedelta(hours=2) if status in PAID else None,
                customer_reference=f"PO-{created:%Y}-{index:04d}" if index % 4 else "",
                submission_token=f"{TOKEN_PREFIX}{index}",
                custom_1=COST_CENTRES[index % len(COST_CENTRES)],
                custom_2=PROJECTS[index % len(PROJECTS)] if index % 2 else "",
                cancelled_at=created + timedelta(days=3) if status in CLOSED else None,
            )
        )
    with transaction.atomic():
        Order.objects.bulk_create(orders)
        saved = Order.objects.filter(account=account, submission_token__startswith=TOKEN_PREFIX)
        _deliver([o for o in saved.select_related("product__brand", "organisation") if o.status in DELIVERED])
    return len(orders)


PAID = {S.DELIVERED_PAID, S.UNDER_VERIFICATION, S.AWAITING_DCV, S.DORMANT, S.CANCELLED_REFUNDED}
CLOSED = {S.CANCELLED, S.CANCELLED_REFUNDED, S.NO_FOLLOWUP_FEE_PAID}
DELIVERED = {S.DELIVERED_PAID, S.DELIVERED_NOT_PAID}


def _deliver(orders: list[Order]) -> None:
    """A real certificate for each delivered order, issued two days after it was ordered."""
    certificates = []
    for index, order in enumerate(orders):
        issued_at = order.created_at + timedelta(days=2)
        issued = get_connector(order.product.brand).issue(
            product=order.product,
            csr_pem=order.csr,
            common_name=order.common_name,
            names=order.all_names,
            organisation=order.organisation,
            now=issued_at,
        )
        revoked = index % 19 == 7
        certificates.append(
            Certificate(
                account_id=order.account_id,
                order=order,
                created_at=issued_at,
                state=Certificate.State.REVOKED if revoked else Certificate.State.VALID,
                revoked_at=issued_at + timedelta(days=30) if revoked else None,
                revocation_reason="superseded" if revoked else "",
                **issued.certificate_fields(),
            )
        )
        order.delivered_at = issued_at
        order.ca_reference = issued.serial_hex[:60]
    Certificate.objects.bulk_create(certificates)
    Order.objects.bulk_update(orders, ["delivered_at", "ca_reference"])
    refresh_certificate_ends([order.pk for order in orders])  # bulk_create sends no signal
