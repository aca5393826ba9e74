"""AUTO-3: the account's domains — every domain its orders validated plus those registered ahead of
any order (`Domain`), their validation state (the latest DcvCheck of the name, whatever made it:
an order, ACME or the domain page), their lock and what their CAA records allow.

A locked domain refuses every new order and ACME order for itself and for the names under it
(`locked_refusal`, called by the order form, `submit_order` and ACME's new order); locking and
unlocking take the Administrative right (the super user has it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.formatting import date_text
from accounts.models import Account, Organisation, Right, User
from catalog.models import Brand, DcvMethod

from .. import dcv as checks
from ..ca.policy import dcv_reuse_days
from ..models import DcvCheck, Domain, Order
from .dcv import is_passed, new_check
from .dcv_config import resolver
from .names import dns_name_error, normalise_name

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class DomainError(Exception):
    """AUTO-3: a domain action refused, with the message to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class DomainFigures(TypedDict):
    last_validated: datetime | None
    pending: bool
    order_count: int


if TYPE_CHECKING:
    ListedDomain = WithAnnotations["Domain", "DomainFigures"]


def clean_domain_name(value: str) -> str:
    """A domain name to register: IDNs in their A-label form, lower case, no wildcard, no IP
    address, no public suffix (the BR 7.1.4.2 name rules of the order form)."""
    name = normalise_name(value)
    if name.startswith("*."):
        raise DomainError(
            _("Register the domain without “*.”: a wildcard certificate uses its domain's validation.")
        )
    error = dns_name_error(name, allow_wildcard=False)
    if error:
        raise DomainError(error)
    return name


def register_domain(
    account: Account,
    name: str,
    *,
    organisation: Organisation | None = None,
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Domain:
    """AUTO-3: add a domain ahead of any order (guide 6.9.1), once per account. Audited
    "domain.registered"."""
    name = clean_domain_name(name)
    if organisation is not None and organisation.account_id != account.pk:
        raise DomainError(_("The organisation must belong to your account."))
    if Domain.objects.filter(account=account, name=name).exists():
        raise DomainError(_("%(domain)s is already one of your domains.") % {"domain": name})
    now = now or timezone.now()
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                account=account,
                name=name,
                organisation=organisation,
                registered_by=user,
                registered_at=now,
                created_at=now,
            )
    except IntegrityError:  # registered by someone else meanwhile
        raise DomainError(_("%(domain)s is already one of your domains.") % {"domain": name}) from None
    log_action("domain.registered", obj=domain, user=user, request=request, domain=name)
    return domain


def may_lock(user: User) -> bool:
    return user.has_right(Right.ADMINISTRATIVE)


def set_lock(
    domain: Domain,
    locked: bool,
    *,
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Domain:
    """AUTO-3: lock or unlock a domain (Administrative right), under its row lock; nothing changes
    (and nothing is audited) when it already is as asked. Audited "domain.locked" / "domain.unlocked"."""
    if not may_lock(user) or user.account_id != domain.account_id:
        raise PermissionDenied
    with transaction.atomic():
        row = Domain.objects.select_for_update().get(pk=domain.pk, account_id=domain.account_id)
        if row.locked == locked:
            return row
        row.locked_at, row.locked_by = (now or timezone.now(), user) if locked else (None, None)
        row.save(update_fields=["locked_at", "locked_by"])
        log_action(
            "domain.locked" if locked else "domain.unlocked",
            obj=row,
            user=user,
            request=request,
            domain=row.name,
        )
    return row


def _covering(name: str) -> list[str]:
    """The domain of `name` and each parent: a lock on example.com covers www.example.com."""
    labels = checks.validation_domain(name).split(".")
    return [".".join(labels[index:]) for index in range(len(labels) - 1)]


def locked_domains(account_id: int, names: list[str]) -> list[str]:
    """The account's locked domains covering any of `names` (one query)."""
    candidates = {parent for name in names if name.strip() for parent in _covering(name)}
    if not candidates:
        return []
    return list(
        Domain.objects.filter(account_id=account_id, name__in=candidates, locked_at__isnull=False)
        .order_by("name")
        .values_list("name", flat=True)
    )


def locked_refusal(account_id: int, names: list[str]) -> str | None:
    """AUTO-3: why no certificate may be ordered for `names` (a locked domain), or None."""
    locked = locked_domains(account_id, names)
    if not locked:
        return None
    return _(
        "%(domains)s is locked by your account's administrators: no certificate may be ordered for it "
        "or the names under it until they unlock it."
    ) % {"domains": ", ".join(locked)}


def domain_rows(account: Account, *, search: str = "", now: datetime | None = None) -> QuerySet[ListedDomain]:
    """AUTO-3 list: the account's domains with their latest validation, whether a validation is
    under way, and the number of orders that used them — one query for a page, whatever the
    number of orders or checks."""
    now = now or timezone.now()
    same = DcvCheck.objects.filter(account_id=OuterRef("account_id"), domain=OuterRef("name"))
    last = same.filter(validated_at__isnull=False).order_by().values("domain").annotate(v=Max("validated_at"))
    orders = (
        same.filter(order__isnull=False)
        .order_by()
        .values("domain")
        .annotate(n=Count("order_id", distinct=True))
    )
    rows = Domain.objects.filter(account=account).select_related("organisation")
    if search.strip():
        rows = rows.filter(name__icontains=normalise_name(search))
    return rows.annotate(
        last_validated=Subquery(last.values("v")[:1]),
        pending=Exists(same.filter(validated_at__isnull=True, expires_at__gt=now)),
        order_count=Coalesce(Subquery(orders.values("n")[:1]), Value(0)),
    )


def reusable_until(validated_at: datetime | None, now: datetime) -> datetime | None:
    """BR 4.2.1: until when a validation may be reused for a certificate issued now."""
    return validated_at + timedelta(days=dcv_reuse_days(now)) if validated_at else None


@dataclass(frozen=True)
class DcvState:
    """The DCV state of a domain as its list and page show it."""

    code: str  # validated, expired, pending, none
    label: str
    validated_at: datetime | None
    until: datetime | None


def dcv_state(validated_at: datetime | None, pending: bool, now: datetime) -> DcvState:
    until = reusable_until(validated_at, now)
    if until is not None and until > now:
        return DcvState("validated", _("Validated"), validated_at, until)
    if pending:
        return DcvState("pending", _("Validation under way"), validated_at, until)
    if until is not None:
        return DcvState("expired", _("Validation too old"), validated_at, until)
    return DcvState("none", _("Not validated"), None, None)


def latest_validation(domain: Domain) -> DcvCheck | None:
    """The domain's latest passed validation, from any order, ACME or the domain page."""
    return (
        DcvCheck.objects.filter(account_id=domain.account_id, domain=domain.name, validated_at__isnull=False)
        .select_related("order")
        .order_by(F("validated_at").desc())
        .first()
    )


def domain_state(domain: Domain, now: datetime | None = None) -> DcvState:
    now = now or timezone.now()
    latest = latest_validation(domain)
    pending = DcvCheck.objects.filter(
        account_id=domain.account_id, domain=domain.name, validated_at__isnull=True, expires_at__gt=now
    ).exists()
    return dcv_state(latest.validated_at if latest else None, pending, now)


def orders_using(domain: Domain) -> QuerySet[Order]:
    """The account's orders that validated this domain, newest first."""
    return (
        Order.objects.filter(account_id=domain.account_id)
        .filter(Q(Exists(DcvCheck.objects.filter(order_id=OuterRef("pk"), domain=domain.name))))
        .select_related("product")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class BrandCaa:
    brand: Brand
    allowed: bool
    detail: str
    wildcard_allowed: bool
    wildcard_detail: str


@dataclass(frozen=True)
class CaaReport:
    """AUTO-3 live CAA lookup (RFC 8659): the relevant RRset of the domain, its issue / issuewild /
    iodef properties, and for each brand whether it may issue for the domain and its wildcard."""

    rrset: checks.CaaRRset
    issue: list[str]
    issuewild: list[str]
    iodef: list[str]
    brands: list[BrandCaa]


def caa_report(domain: Domain) -> CaaReport:
    """One climb (`relevant_caa`: the wildcard's relevant RRset is the domain's), then the same
    decision as an order's for each active brand with CAA identifiers (`caa_decision`)."""
    rrset = checks.relevant_caa(domain.name, resolver=resolver())
    brands = []
    for brand in Brand.objects.filter(active=True).order_by("position", "name"):
        identifiers = checks.caa_identifiers(brand.code)
        if not identifiers:
            continue
        allowed, detail = checks.caa_decision(rrset, domain.name, identifiers)
        wild_allowed, wild_detail = checks.caa_decision(rrset, f"*.{domain.name}", identifiers)
        brands.append(BrandCaa(brand, allowed, detail, wild_allowed, wild_detail))
    return CaaReport(rrset, rrset.values("issue"), rrset.values("issuewild"), rrset.values("iodef"), brands)


# DCV started from the domain page -------------------------------------------------------------
# DNS and HTTP: the portal checks them itself. The email method stays on the order's DCV page,
# whose email names the order being confirmed.
DOMAIN_METHODS = (DcvMethod.DNS, DcvMethod.HTTP)


def domain_check(domain: Domain) -> DcvCheck | None:
    """The validation under way or last made on the domain page (none from an order)."""
    return (
        DcvCheck.objects.filter(account_id=domain.account_id, domain=domain.name, order__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def start_domain_dcv(
    domain: Domain,
    method: str,
    *,
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DcvCheck:
    """AUTO-3 / ORD-8: a validation of the domain ahead of any order, with a fresh random value
    (BR 3.2.2.4.7 DNS or 3.2.2.4.18 HTTP); later orders and ACME reuse it within the BR 4.2.1
    period (`services.dcv._reusable`, ACME's `_reusable`). Refused while a validation of the
    domain still counts. A previous pending one is dropped. Audited "domain.dcv_started"."""
    if method not in DOMAIN_METHODS:
        raise DomainError(_("This method is not offered on the domain page."))
    now = now or timezone.now()
    with transaction.atomic():
        row = Domain.objects.select_for_update().get(pk=domain.pk, account_id=domain.account_id)
        latest = latest_validation(row)
        if latest is not None and is_passed(latest, now):
            until = reusable_until(latest.validated_at, now)
            raise DomainError(
                _("%(domain)s is already validated: new orders reuse that validation until %(date)s.")
                % {"domain": row.name, "date": date_text(until) if until else ""}
            )
        DcvCheck.objects.filter(
            account_id=row.account_id, domain=row.name, order__isnull=True, validated_at__isnull=True
        ).delete()
        check = new_check(row.account_id, None, row.name, method, now)
        log_action("domain.dcv_started", obj=row, user=user, request=request, domain=row.name, method=method)
    return check
