"""Renewal (ORD-10): an identical new order, from 90 days before the end up to 30 days after it.

The end of an order is its subscription end (`Order.subscription_ends_at`), or, when it has none
(an imported certificate, an order delivered before the field was filled), the end of its
latest certificate. A renewal filed before the end carries the days left over to the new
subscription (`carried_over_days`, applied by `renewed_subscription_end`); each certificate of
the new subscription still follows the CA/Browser Forum schedule (LIFE-9).

A renewal is identical: when the holder organisation's name or head-office city changed since
the certificate (its subject's O and L, present in OV/EV certificates only), it is refused and
the user is sent to clone the order instead (guide 5.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import account_cache
from accounts.models import Account
from catalog.models import Product

from ..models import CLOSED, DELIVERED, Certificate, Order, OrderOrigin
from .lifecycle import add_months
from .listing import COUNTS_TTL
from .migration import clone_url, migration_target, prefill_url

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    RenewalOrder = WithAnnotations[Order, "RenewalData"]


class RenewalData(TypedDict):
    """What `with_renewal_data` annotates on each order."""

    renewal_end: datetime | None
    renewed_by: str | None


OPENS_BEFORE = timedelta(days=90)
CLOSES_AFTER = timedelta(days=30)
ORGANISATION_VALIDATED = {Product.Validation.OV, Product.Validation.EV}


@dataclass(frozen=True)
class RenewalVerdict:
    """Whether an order may be renewed now; when not, why, and where to go instead."""

    ok: bool
    reason: str = ""
    clone_url: str = ""
    migrate_url: str = ""
    renewal_url: str = ""


# The subscription end, else the last end of the order's certificates (stored on the order, issue 17);
# the same expression as the `order_renewal_end` index, so the window is read from it in end order.
RENEWAL_END = Coalesce(F("subscription_ends_at"), F("certificates_end"))


def _open_renewal() -> Subquery:
    return Subquery(
        Order.objects.filter(source_order=OuterRef("pk"), origin=OrderOrigin.RENEWAL)
        .exclude(status__in=CLOSED)
        .order_by("-created_at", "-id")
        .values("reference")[:1]
    )


def with_renewal_data(orders: QuerySet[Order]) -> QuerySet[RenewalOrder]:
    """Annotate `renewal_end` (subscription end, else latest certificate end) and `renewed_by`
    (the reference of an open renewal of the order), so lists need no query per row."""
    return orders.annotate(renewal_end=RENEWAL_END, renewed_by=_open_renewal())


def renewal_end(order: Order) -> datetime | None:
    """ORD-10: the end the renewal window counts from; None while nothing was delivered."""
    if order.subscription_ends_at is not None:
        return order.subscription_ends_at
    if hasattr(order, "renewal_end"):
        return order.renewal_end
    ends = [c.not_after for c in order.certificates.all()]  # the prefetched ones in lists
    return max(ends) if ends else None


def renewal_window(order: Order) -> tuple[date, date] | None:
    """ORD-10: the first and last local dates a renewal may be filed (90 days before the end to
    30 days after it, both included); None when the order has no end yet."""
    end = renewal_end(order)
    if end is None:
        return None
    last_day = timezone.localdate(end)
    return last_day - OPENS_BEFORE, last_day + CLOSES_AFTER


def carried_over_days(order: Order, now: datetime | None = None) -> int:
    """ORD-10: whole days left on the subscription at `now` (0 once it ended), carried to the renewal."""
    end = renewal_end(order)
    if end is None:
        return 0
    return max(0, (end - (now or timezone.now())).days)


def renewed_subscription_end(start: datetime, period_months: int, carried_days: int) -> datetime:
    """ORD-10: the renewal's subscription end: its start plus the period bought plus the carried days."""
    return add_months(start, period_months) + timedelta(days=max(0, carried_days))


def _normalised(value: str) -> str:
    return " ".join(value.split()).casefold()


def certified_holder(certificate: Certificate) -> tuple[str | None, str | None]:
    """The organisation name (O) and locality (L) the certificate's subject names, if any."""
    try:
        subject = x509.load_pem_x509_certificate(certificate.pem.encode()).subject
    except ValueError:
        return None, None

    def first(oid: Any) -> str | None:
        values = subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    return first(NameOID.ORGANIZATION_NAME), first(NameOID.LOCALITY_NAME)


def organisation_change(order: Order) -> str | None:
    """What changed in the holder organisation since the order's latest certificate, or None.

    Only OV/EV certificates name the organisation (BR 7.1.4.2); for the others nothing is compared.
    """
    if order.product.validation not in ORGANISATION_VALIDATED:
        return None
    certificates = sorted(order.certificates.all(), key=lambda c: (c.not_after, c.pk), reverse=True)
    if not certificates:
        return None
    name, city = certified_holder(certificates[0])
    organisation = order.organisation
    changes = []
    if name is not None and _normalised(name) != _normalised(organisation.name):
        changes.append(
            _("the name was “%(old)s” and is now “%(new)s”") % {"old": name, "new": organisation.name}
        )
    if city is not None and _normalised(city) != _normalised(organisation.city):
        changes.append(
            _("the head-office city was “%(old)s” and is now “%(new)s”")
            % {"old": city, "new": organisation.city}
        )
    return "; ".join(changes) or None


def _date(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def renewable(
    order: Order, now: datetime | None = None, catalogue: list[Product] | None = None
) -> RenewalVerdict:
    """ORD-10: may `order` be renewed at `now`? The verdict says why not and offers the way out.

    Refused: an order not delivered; a product no longer sold (migrate); an open renewal already
    filed; before the window (90 days before the end) or after it (30 days after: clone); a holder
    organisation whose name or head-office city changed (clone). `catalogue` (`our_products()`)
    spares lists a query per row for the migration proposal.
    """
    now = now or timezone.now()
    if order.status not in DELIVERED:
        return RenewalVerdict(False, _("Only a delivered order can be renewed."))
    product = order.product
    if not (product.active and product.brand.active):
        target = migration_target(product, catalogue)
        migrate = prefill_url(target, order, OrderOrigin.MIGRATION) if target is not None else ""
        return RenewalVerdict(
            False,
            _("%(product)s is no longer sold: migrate this order to a current product.")
            % {"product": product},
            migrate_url=migrate,
        )
    renewed_by = (
        order.renewed_by
        if hasattr(order, "renewed_by")
        else (
            Order.objects.filter(source_order=order, origin=OrderOrigin.RENEWAL)
            .exclude(status__in=CLOSED)
            .values_list("reference", flat=True)
            .first()
        )
    )
    if renewed_by:
        return RenewalVerdict(
            False, _("This order is already renewed by order %(reference)s.") % {"reference": renewed_by}
        )
    window = renewal_window(order)
    if window is None:
        return RenewalVerdict(False, _("This order has no certificate yet."))
    first_day, last_day = window
    today = timezone.localdate(now)
    if today < first_day:
        return RenewalVerdict(
            False,
            _("The renewal opens on %(date)s, 90 days before the end of the certificate.")
            % {"date": _date(first_day)},
        )
    if today > last_day:
        return RenewalVerdict(
            False,
            _(
                "The certificate ended more than 30 days ago: a renewal is no longer "
                "possible, place a new order by cloning this one."
            ),
            clone_url=clone_url(order),
        )
    change = organisation_change(order)
    if change:
        return RenewalVerdict(
            False,
            _(
                "A renewal must be identical, but the holder organisation changed since "
                "the certificate (%(change)s): clone the order instead."
            )
            % {"change": change},
            clone_url=clone_url(order),
        )
    return RenewalVerdict(True, renewal_url=prefill_url(product, order, OrderOrigin.RENEWAL))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def renewal_candidates(account: Account, now: datetime | None = None) -> QuerySet[RenewalOrder]:
    """ORD-10: the account's delivered orders inside their renewal window, soonest end first.

    Two queries whatever the length: the orders (product, brand and organisation joined, end and
    open renewal annotated) and their certificates (prefetched, for the organisation check).
    """
    today = timezone.localdate(now or timezone.now())
    first, after = _day_start(today - CLOSES_AFTER), _day_start(today + OPENS_BEFORE + timedelta(days=1))
    # Issue 17: the end is stored (subscription end, else `Order.certificates_end`) and indexed
    # with the account (`order_renewal_end`), so a page of the window is read in end order from the
    # index; the list's length is cached (`renewal_count`).
    return (
        with_renewal_data(Order.objects.filter(account=account, status__in=DELIVERED))
        .filter(renewal_end__gte=first, renewal_end__lt=after)
        .select_related("product__brand", "organisation")
        .prefetch_related("certificates")
        .order_by("renewal_end", "id")
    )


def renewal_count(account: Account, now: datetime | None = None) -> Callable[[], int]:
    """The number of orders in their renewal window today, from the account's cache (dropped by
    any write of an order or a certificate of the account, recounted at most every 5 minutes)."""
    today = timezone.localdate(now or timezone.now())
    return lambda: account_cache.cached(
        account.pk,
        f"renewal-count:{today.isoformat()}",
        lambda: renewal_candidates(account, now).order_by().count(),
        COUNTS_TTL,
    )


def find_order_to_renew(account: Account, reference: str) -> Order | None:
    """ORD-10 "renew another certificate": the account's order with our reference or the CA's."""
    reference = reference.strip()
    if not reference:
        return None
    return (
        with_renewal_data(Order.objects.filter(account=account))
        .filter(Q(reference__iexact=reference) | Q(ca_reference__iexact=reference))
        .select_related("product__brand", "organisation")
        .prefetch_related("certificates")
        .order_by("-created_at", "-id")
        .first()
    )
