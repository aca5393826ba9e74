"""External order links (ORD-5): a public page that orders one product for an account without logging in.

The account creates a link for one server product and period; whoever holds the link submits an
order, which lands in "awaiting approval" on the account and is emailed to its approvers. The
public page has no user and therefore no tenant scope: it finds the link across accounts by its
secret token, then opens the link's account scope explicitly for everything it reads or writes.
Submissions are rate-limited per client address.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from accounts.audit import client_ip, log_action
from accounts.models import Account, Contact, Organisation, User
from catalog.models import SERVER_TYPES, Product

from ..models import ExternalOrderLink, Order, OrderOrigin, OrderStatus
from .approval import notify_approvers
from .ordering import OrderError, submit_order

S = OrderStatus

# Submissions of the public form per client address and per hour (every POST counts, valid or not).
SUBMISSIONS_PER_HOUR = 10
_WINDOW_SECONDS = 3600


def linkable_products() -> QuerySet[Product]:
    """The products a link can order: active server products of active brands, with their periods."""
    return (
        Product.objects.filter(active=True, brand__active=True, product_type__in=SERVER_TYPES)
        .select_related("brand")
        .prefetch_related("periods")
    )


def account_links(account: Account) -> QuerySet[ExternalOrderLink]:
    """The account's links with their order counts, newest first (one query)."""
    return (
        ExternalOrderLink.objects.filter(account=account)
        .select_related("product__brand", "created_by")
        .annotate(order_count=Count("orders"))
        .order_by("-created_at", "-pk")
    )


def create_link(
    account: Account,
    *,
    product: Product,
    period_months: int,
    label: str,
    user: User,
    request: HttpRequest | None = None,
) -> ExternalOrderLink:
    """ORD-5: a new enabled link for one product and period; audited as "order_link.created"."""
    if not linkable_products().filter(pk=product.pk, periods__months=period_months).exists():
        raise OrderError(_("This product is not sold for this period."))
    link = ExternalOrderLink.objects.create(
        account=account, product=product, period_months=period_months, label=label.strip(), created_by=user
    )
    log_action(
        "order_link.created",
        account=account,
        obj=link,
        user=user,
        request=request,
        label=link.label,
        product=product.code,
        months=period_months,
    )
    return link


def set_link_enabled(
    link: ExternalOrderLink, enabled: bool, *, user: User, request: HttpRequest | None = None
) -> bool:
    """ORD-5: disable or re-enable a link; False when it already was. Audited as
    "order_link.disabled" / "order_link.enabled"."""
    with transaction.atomic():
        locked = ExternalOrderLink.objects.select_for_update().get(pk=link.pk, account_id=link.account_id)
        if locked.enabled == enabled:
            return False
        locked.enabled = enabled
        locked.save(update_fields=["enabled"])
        log_action(
            "order_link.enabled" if enabled else "order_link.disabled",
            obj=locked,
            user=user,
            request=request,
            label=locked.label,
        )
    link.enabled = enabled
    return True


def enabled_link(token: str) -> ExternalOrderLink | None:
    """The enabled link with this token, or None. The public page has no account yet: the token is
    the only key, so the lookup runs across accounts."""
    if not token:
        return None
    with scopes_disabled():
        return (
            ExternalOrderLink.objects.select_related("account", "product__brand")
            .prefetch_related("product__periods")
            .filter(token=token, enabled=True, account__status=Account.Status.ACTIVE)
            .first()
        )


def submission_allowed(request: HttpRequest) -> bool:
    """Count one submission from the client's address; False beyond SUBMISSIONS_PER_HOUR."""
    key = f"order-link-submissions:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        cache.set(key, 1, timeout=_WINDOW_SECONDS)
        count = 1
    return count <= SUBMISSIONS_PER_HOUR


@dataclass(frozen=True)
class PersonData:
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class ExternalOrderData:
    """What the public form collected, validated (the form checks every field first)."""

    registration_number: str
    organisation_name: str
    country: str
    address: str
    postal_code: str
    city: str
    admin: PersonData
    technical: PersonData | None  # None: the administrative contact is the technical contact
    common_name: str
    sans: list[str]
    csr: str
    server_software: str
    server_software_other: str
    dcv_method: str


def _holder(account: Account, data: ExternalOrderData) -> Organisation:
    """The account's organisation with this number, as the account keeps it, or a new one."""
    existing = Organisation.objects.filter(
        account=account, registration_number=data.registration_number
    ).first()
    if existing is not None:
        return existing
    return Organisation.objects.create(
        account=account,
        registration_number=data.registration_number,
        name=data.organisation_name,
        country=data.country,
        address=data.address,
        postal_code=data.postal_code,
        city=data.city,
    )


def _contact(organisation: Organisation, person: PersonData) -> Contact:
    """The organisation's contact with this email, as the account keeps it, or a new one."""
    existing = (
        Contact.objects.filter(organisation=organisation, email__iexact=person.email).order_by("pk").first()
    )
    if existing is not None:
        return existing
    return Contact.objects.create(
        account_id=organisation.account_id,
        organisation=organisation,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
    )


def submit_external_order(
    link: ExternalOrderLink, data: ExternalOrderData, *, request: HttpRequest | None = None
) -> Order:
    """ORD-5: place an order through a link with the ordering service (`submit_order`, without a
    user: it starts awaiting approval, origin "external link"), audit who used the link
    ("order_link.used") and email the account's approvers.

    The holder organisation and contacts are matched on the account by organisation number and
    email (never changed), or created. Runs in the link's account scope: the public page has none.
    """
    with scope(account=link.account_id), transaction.atomic():
        locked = (
            ExternalOrderLink.objects.select_for_update()
            .select_related("account", "product__brand")
            .get(pk=link.pk)
        )
        if not locked.enabled:
            raise OrderError(_("This order link has been disabled."))
        holder = _holder(locked.account, data)
        admin = _contact(holder, data.admin)
        technical = admin if data.technical is None else _contact(holder, data.technical)
        order = submit_order(
            account=locked.account,
            user=None,
            product=locked.product,
            period_months=locked.period_months,
            organisation=holder,
            admin_contact=admin,
            technical_contact=technical,
            common_name=data.common_name,
            sans=list(data.sans),
            csr=data.csr,
            server_software=data.server_software,
            server_software_other=data.server_software_other,
            dcv_method=data.dcv_method,
            request=request,
            origin=OrderOrigin.EXTERNAL_LINK,
            external_link=locked,
        )
        log_action(
            "order_link.used",
            account=locked.account,
            obj=order,
            user=None,
            request=request,
            actor_name=f"{admin.full_name} <{admin.email}>",
            link=locked.pk,
            label=locked.label,
        )
        notify_approvers(order)
    return order
