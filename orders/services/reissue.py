"""Reissue ("refabrication", ORD-11): a free new certificate under the same order and reference.

A reissue needs a reissuable product, a delivered order issued by us (not imported), a
subscription not yet ended and a certificate still valid. The new certificate is issued right
away by the brand's connector for the order's names (or, for names added on a multi-site
certificate, the new list within the product's maximum) and ends with the subscription at the
latest; the CA/Browser Forum schedule may end it earlier (LIFE-9). The replaced certificate is
kept, revoked now, or revoked after a grace delay the user picks (guide 5.3); a compromised key
is always revoked now, with the reason keyCompromise (RFC 5280 5.3.1, CA/B BR 4.9.1.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import models, transaction
from django.db.models import DateTimeField, F, Func, QuerySet, Value
from django.db.models.functions import Coalesce, JSONObject
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from accounts import account_cache
from accounts.audit import log_action, log_actions_for
from accounts.formatting import date_text
from accounts.mail import send_mail_on_commit
from accounts.models import Account, User
from catalog.models import Product
from outbox.queue import enqueue

from ..ca import UpstreamError, get_connector, revoking_connector
from ..ca.profiles import needs_organisation
from ..csr import CsrInfo
from ..models import DELIVERED, ISSUED_HERE, Certificate, Order, OrderOrigin, RevocationReason
from ..sharedprimes import remember_certificate_pem
from .actions import send_revocation_email
from .bulk import serialise
from .dcv import requires_dcv, unvalidated_domains
from .lifecycle import lock_order, subscription_end
from .listing import COUNTS_TTL, forget_all_counts
from .ordering import status_url
from .pricing import sells_extra_names

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SubscriptionEnd(TypedDict):
    """What `with_subscription_end` annotates on each order."""

    subscription_end: datetime


class ReissueReason(models.TextChoices):
    """ORD-11: why a certificate is reissued (guide 5.3)."""

    LOST = "lost", gettext_lazy("Lost key or certificate")
    SOFTWARE_CHANGE = "software_change", gettext_lazy("Server software change")
    KEY_SIZE = "key_size", gettext_lazy("Key size change")
    KEY_COMPROMISE = "key_compromise", gettext_lazy("Key compromise")
    HASH_ALGORITHM = "hash_algorithm", gettext_lazy("Hash algorithm change")
    SAN_ADDED = "san_added", gettext_lazy("Names added on a multi-site certificate")
    SUBSCRIPTION = "subscription", gettext_lazy("Reissue within a subscription")


class OldCertificate(models.TextChoices):
    """ORD-11: what becomes of the certificate the reissue replaces."""

    KEEP = "keep", gettext_lazy("Keep it: it stays valid until it expires")
    REVOKE_NOW = "revoke_now", gettext_lazy("Revoke it now")
    REVOKE_LATER = "revoke_later", gettext_lazy("Revoke it after a grace delay")


GRACE_DAYS = (1, 7, 14, 30)
# A second identical submission (double click, resent form) inside this delay gets the first reissue.
RESUBMISSION_WINDOW = timedelta(minutes=10)


class ReissueRefused(Exception):  # noqa: N818 (reads as the verdict it carries)
    """ORD-11: the order cannot be reissued now; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReissueRequest:
    """What the reissue form collected (already validated)."""

    reason: str
    csr: CsrInfo
    sans: list[str]
    replaced: Certificate
    old_certificate: str = OldCertificate.KEEP
    grace_days: int | None = None
    server_software: str = ""
    server_software_other: str = ""
    chain: str = ""  # ORD-2: the certification chain of the new certificate; empty keeps the order's


def subscription_end_of(order: Order) -> datetime:
    """LIFE-9: the end of what was bought: the stored subscription end, else payment (or order) date
    plus the period, as `issue_certificate` counts it."""
    return order.subscription_ends_at or subscription_end(order)


def valid_certificates(order: Order, now: datetime | None = None) -> list[Certificate]:
    """The order's certificates still valid at `now`, newest first (prefetch-friendly)."""
    now = now or timezone.now()
    return sorted(
        (c for c in order.certificates.all() if c.state == Certificate.State.VALID and c.not_after > now),
        key=lambda c: (c.created_at, c.pk),
        reverse=True,
    )


def may_change_names(product: Product) -> bool:
    """ORD-11: names may be added only on a multi-site certificate (a product that sells extra names)."""
    return sells_extra_names(product) and product.max_sans > 0


def reissue_refusal(order: Order, now: datetime | None = None) -> str | None:
    """ORD-11: why `order` cannot be reissued at `now`, or None when it can."""
    now = now or timezone.now()
    if not order.product.reissuable:
        return _(
            "%(product)s cannot be reissued: if its key is compromised, revoke the certificate and place a "
            "new order."
        ) % {"product": order.product}
    if order.origin == OrderOrigin.IMPORT:
        return _(
            "This certificate was imported: only the authority that issued it can reissue it. Renew or "
            "migrate it instead."
        )
    if order.status not in DELIVERED:
        return _("Only a delivered order can be reissued.")
    if subscription_end_of(order) <= now:
        return _("The subscription of this order has ended: renew it instead.")
    if not valid_certificates(order, now):
        return _("This order has no valid certificate left to reissue: renew it instead.")
    return None


class _PlusMonths(Func):
    """A timestamp plus whole months, the day clamped to the month's end like `add_months`
    (31 Jan + 1 month = 28/29 Feb). PostgreSQL's interval arithmetic clamps by itself; SQLite
    (the demo's database) shifts with its date functions and clamps by hand."""

    arity = 2
    output_field = DateTimeField()
    template = "(%(expressions)s)"
    arg_joiner = " + interval '1 month' * "

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        start, months = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        months_sql, months_params = compiler.compile(months)
        # SQLite overflows into the next month (31 Jan + 1 month = 3 Mar): when the day changed,
        # take the last day of the month before at the same time of day.
        shifted = f"datetime({start_sql}, '+' || ({months_sql}) || ' months')"
        shifted_params = [*start_params, *months_params]
        sql = (
            f"(CASE WHEN strftime('%%d', {shifted}) = strftime('%%d', {start_sql}) THEN {shifted} "
            f"ELSE date({shifted}, 'start of month', '-1 day') || ' ' || time({start_sql}) END)"
        )
        return sql, (*shifted_params, *start_params, *shifted_params, *shifted_params, *start_params)


def subscription_end_sql(order: str = "") -> Coalesce:
    """`subscription_end_of` as an SQL expression, on an order queryset (`order=""`) or through a
    relation to the order (`order="order__"`); PostgreSQL and SQLite."""
    return Coalesce(
        F(f"{order}subscription_ends_at"),
        _PlusMonths(Coalesce(F(f"{order}paid_at"), F(f"{order}created_at")), F(f"{order}period_months")),
        output_field=DateTimeField(),
    )


def with_subscription_end(orders: QuerySet[Order]) -> QuerySet[WithAnnotations[Order, SubscriptionEnd]]:
    """Annotate `subscription_end`, `subscription_end_of` in SQL (lists filter and sort on it)."""
    return orders.annotate(subscription_end=subscription_end_sql())


def reissuable_orders(account: Account, now: datetime | None = None) -> QuerySet[Order]:
    """ORD-11: the account's delivered orders of a reissuable product, issued by us, whose
    subscription runs on and which hold a valid certificate. One query whatever the length."""
    now = now or timezone.now()
    # Issue 17: the last end of the order's valid certificates is stored on the order
    # (`valid_certificates_end`, indexed with the account), so the list is read in end order from
    # the index; "holds a valid certificate now" is that end being after now.
    return (
        with_subscription_end(
            Order.objects.filter(
                account=account,
                status__in=DELIVERED,
                product__reissuable=True,
                valid_certificates_end__gt=now,
            )
        )
        .exclude(origin=OrderOrigin.IMPORT)
        .filter(subscription_end__gt=now)
        .annotate(valid_until=F("valid_certificates_end"))
        .select_related("product__brand")
        .order_by("valid_until", "id")
    )


def reissuable_count(account: Account, now: datetime | None = None) -> Callable[[], int]:
    """The length of the reissue list, from the account's cache (dropped by any write of an order
    or a certificate of the account, recounted at most every 5 minutes: ends move with time)."""
    return lambda: account_cache.cached(
        account.pk,
        "reissuable-count",
        lambda: reissuable_orders(account, now).order_by().count(),
        COUNTS_TTL,
    )


def _organisation_for(order: Order) -> Any:
    """The holder organisation whenever the subject names it: OV/EV, code signing, seals, PSD2
    (orders.ca.profiles.needs_organisation)."""
    return order.organisation if needs_organisation(order.product) else None


def _revoke(
    certificate: Certificate,
    order: Order,
    reason: str,
    *,
    user: User | None,
    request: HttpRequest | None = None,
    now: datetime,
    scheduled: bool = False,
) -> None:
    revoking_connector(certificate, order.product.brand).revoke(certificate, reason, when=now)
    log_action(
        "certificate.revoked",
        obj=order,
        user=user,
        request=request,
        serial=certificate.serial,
        reason=reason,
        via="reissue",
        scheduled=scheduled,
    )


def reissue(
    order: Order,
    request_data: ReissueRequest,
    *,
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Certificate:
    """ORD-11: issue the reissued certificate on the same order and deal with the replaced one.

    Under the order's row lock: re-checks `reissue_refusal`, refuses a compromised key in the new
    CSR, issues (never past the subscription end), records the reason, and keeps, revokes or
    schedules the revocation of the replaced certificate (key compromise: every valid certificate
    of the order with that key, now). The order's CSR and names become the new ones; its status
    does not move. Audited as "certificate.reissued"; the technical contact is emailed.
    A second identical submission inside RESUBMISSION_WINDOW returns the first certificate.
    """
    now = now or timezone.now()
    data = request_data
    with transaction.atomic():
        locked = lock_order(order)
        refusal = reissue_refusal(locked, now)
        if refusal:
            raise ReissueRefused(refusal)
        twin = (
            locked.certificates.filter(
                public_key_sha256=data.csr.public_key_sha256,
                reissue_reason=data.reason,
                created_at__gte=now - RESUBMISSION_WINDOW,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if twin is not None and data.sans == locked.sans:
            return twin
        replaced = next((c for c in valid_certificates(locked, now) if c.pk == data.replaced.pk), None)
        if replaced is None:
            raise ReissueRefused(_("The certificate to replace is no longer valid."))
        compromised = data.reason == ReissueReason.KEY_COMPROMISE
        if compromised and data.csr.public_key_sha256 == replaced.public_key_sha256:
            raise ReissueRefused(_("The new request uses the compromised key: generate a new key pair."))
        if data.sans != locked.sans and not (
            data.reason == ReissueReason.SAN_ADDED and may_change_names(locked.product)
        ):
            raise ReissueRefused(_("The names of this certificate cannot change in this reissue."))
        added = [name for name in data.sans if name not in locked.all_names]
        if added and requires_dcv(locked):
            missing = unvalidated_domains(locked, added, now)
            if missing:
                raise ReissueRefused(
                    _(
                        "The control of these new domains has not been validated on your account: %(domains)s. "
                        "Validate them through an order of these names first (ORD-8)."
                    )
                    % {"domains": ", ".join(missing)}
                )
        product = locked.product
        try:
            # A brand's outside ACME CA (AUTO-4 [beyond]) answers here, in the request.
            issued = get_connector(product.brand).issue(
                product=product,
                csr_pem=data.csr.pem,
                common_name=locked.common_name,
                names=[locked.common_name, *data.sans],
                organisation=_organisation_for(locked),
                not_after=subscription_end_of(locked),
                now=now,
                options=locked.options,
            )
        except UpstreamError as exc:
            raise ReissueRefused(
                _("The certificate authority did not issue the new certificate: %(reason)s")
                % {"reason": exc.message}
            ) from exc
        if data.chain:
            locked.options = {**locked.options, "chain": data.chain}
        certificate = Certificate.objects.create(
            account_id=locked.account_id,
            order=locked,
            created_at=now,
            reissue_reason=data.reason,
            chain=locked.options.get("chain", ""),
            **issued.certificate_fields(),
        )
        remember_certificate_pem(certificate.pem)  # ORD-6 shared primes (idempotent)
        locked.csr, locked.csr_public_key_sha256, locked.sans = (
            data.csr.pem,
            data.csr.public_key_sha256,
            data.sans,
        )
        fields = ["csr", "csr_public_key_sha256", "sans", "options"]
        if data.server_software:
            locked.server_software, locked.server_software_other = (
                data.server_software,
                data.server_software_other,
            )
            fields += ["server_software", "server_software_other"]
        locked.save(update_fields=fields)
        fate = OldCertificate.REVOKE_NOW if compromised else data.old_certificate
        log_action(
            "certificate.reissued",
            obj=locked,
            user=user,
            request=request,
            serial=certificate.serial,
            replaces=replaced.serial,
            reason=data.reason,
            chain=certificate.chain,
            old_certificate=fate,
            grace_days=data.grace_days if fate == OldCertificate.REVOKE_LATER else None,
            not_after=certificate.not_after.isoformat(),
        )
        if compromised:
            for other in valid_certificates(locked, now):
                if other.public_key_sha256 == replaced.public_key_sha256:
                    _revoke(
                        other, locked, RevocationReason.KEY_COMPROMISE, user=user, request=request, now=now
                    )
        elif fate == OldCertificate.REVOKE_NOW:
            _revoke(replaced, locked, RevocationReason.SUPERSEDED, user=user, request=request, now=now)
        elif fate == OldCertificate.REVOKE_LATER:
            when = now + timedelta(days=data.grace_days or GRACE_DAYS[0])
            Certificate.objects.filter(pk=replaced.pk).update(revoke_scheduled_at=when)
            log_action(
                "certificate.revocation_scheduled",
                obj=locked,
                user=user,
                request=request,
                serial=replaced.serial,
                at=when.isoformat(),
            )
        send_reissue_email(locked, certificate, replaced, fate)
    return certificate


def fate_label(fate: str, replaced: Certificate) -> str:
    """What became of the replaced certificate, in a sentence for the email and the message."""
    replaced.refresh_from_db(fields=["revoke_scheduled_at", "state"])
    if replaced.state == Certificate.State.REVOKED:
        return _("The previous certificate (%(serial)s) is revoked.") % {"serial": replaced.serial}
    if fate == OldCertificate.REVOKE_LATER and replaced.revoke_scheduled_at:
        return _("The previous certificate (%(serial)s) will be revoked on %(date)s.") % {
            "serial": replaced.serial,
            "date": date_text(replaced.revoke_scheduled_at),
        }
    return _("The previous certificate (%(serial)s) stays valid until it expires.") % {
        "serial": replaced.serial
    }


def send_reissue_email(order: Order, certificate: Certificate, replaced: Certificate, fate: str) -> None:
    """ORD-11: the technical contact hears of the reissue, in the account's language."""
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "names": order.all_names,
            "product": str(order.product),
            "reason": str(ReissueReason(certificate.reissue_reason).label),
            "serial": certificate.serial,
            # ISO moments: the template writes the day in each reader's language (`day_text`).
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "previous": fate_label(fate, replaced),
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
        }
    send_mail_on_commit(
        "order_reissued", [order.technical_contact.email], context, language, account=order.account
    )


def revoke_scheduled(now: datetime | None = None) -> int:
    """ORD-11: revoke the replaced certificates whose grace delay is over; returns how many.

    Set-based (issue 17): the due rows are locked, audited by one INSERT … SELECT
    ("certificate.revoked", as a user's revocation is) and revoked by one UPDATE, whatever their
    number; the embedded CA's next CRL lists them. The technical contacts' emails (LIFE-5) are
    sent by one queued task. Idempotent: only certificates still valid are taken and two runs are
    serialised, so a retry finds nothing left and writes nothing twice.
    """
    now = now or timezone.now()
    # Grace delays end on every account: this scheduled job works across tenants by design.
    with scopes_disabled(), transaction.atomic():
        serialise("orders.revoke_scheduled")
        due = Certificate.objects.filter(
            ISSUED_HERE, state=Certificate.State.VALID, revoke_scheduled_at__lte=now
        )
        ids = sorted(due.order_by().select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        # AUTO-4 [beyond]: an outside CA's certificates are revoked there too, by a task per run.
        outside = list(
            Certificate.objects.filter(pk__in=ids, issuer__isnull=True).values_list("pk", flat=True)
        )
        due = Certificate.objects.filter(pk__in=ids)
        log_actions_for(
            due,
            "certificate.revoked",
            object_type="order",
            object_id=F("order__reference"),
            details=JSONObject(
                serial=F("serial"),
                reason=Value(str(RevocationReason.SUPERSEDED)),
                common_name=F("common_name"),
            ),
            when=now,
        )
        done = due.update(
            state=Certificate.State.REVOKED, revoked_at=now, revocation_reason=RevocationReason.SUPERSEDED
        )
        # By name: the task module imports this one (orders.tasks_reissue).
        enqueue("orders.tasks_reissue.send_scheduled_revocation_emails", ids)
        if outside:
            enqueue("orders.tasks.revoke_at_upstream_ca", outside, str(RevocationReason.SUPERSEDED))
    forget_all_counts()
    return done


def send_revocation_emails(certificate_ids: list[int]) -> int:
    """LIFE-5: the technical contact of each certificate revoked by `revoke_scheduled` hears of it."""
    with scopes_disabled():
        certificates = list(
            Certificate.objects.filter(pk__in=certificate_ids, state=Certificate.State.REVOKED)
            .select_related("order__technical_contact", "order__account")
            .order_by("pk")
        )
        for certificate in certificates:
            send_revocation_email(certificate.order, [certificate], RevocationReason.SUPERSEDED)
    return len(certificates)
