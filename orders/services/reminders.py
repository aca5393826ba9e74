"""JOBS-5 expiry reminders and JOBS-6 Certigna acceptance (warnings, then revocation).

Both select their certificates set-based (one query per threshold, read in batches), then claim
one `CertificateNotice` per certificate and kind: the rows are inserted with ON CONFLICT DO
NOTHING (`bulk_create(ignore_conflicts=True)`), then the open ones are locked with SKIP LOCKED,
acted on, and marked done in the same transaction. A second run, or a second worker at the same
moment, finds nothing open: nobody gets an email twice and nothing is revoked twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts.mail import send_mail_on_commit
from jobs.recorder import Outcome

from ..models import (
    CLOSED,
    DELIVERED,
    Certificate,
    CertificateNotice,
    Order,
    OrderOrigin,
    RenewalSettings,
    RevocationReason,
)
from .actions import ACCEPTANCE_DAYS, ACCEPTANCE_DEADLINE_BRANDS, revoke_certificate
from .ordering import status_url
from .reissue import subscription_end_sql

K = CertificateNotice.Kind
EXPIRY_THRESHOLDS = ((7, K.EXPIRY_7), (30, K.EXPIRY_30), (60, K.EXPIRY_60), (90, K.EXPIRY_90))
# Days after delivery: warnings when 10 and 3 days are left, revocation at ACCEPTANCE_DAYS.
ACCEPTANCE_WARNINGS = (
    (ACCEPTANCE_DAYS - 10, ACCEPTANCE_DAYS - 3, K.ACCEPTANCE_10),
    (ACCEPTANCE_DAYS - 3, ACCEPTANCE_DAYS, K.ACCEPTANCE_3),
)
BATCH = 1000
# A certificate ending within this delay of its subscription ends with it (the CA rounds dates).
SAME_END = timedelta(days=2)


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def claim(pks: list[int], kind: str, act: Callable[[list[Certificate]], None], now: datetime) -> int:
    """Insert the notices of `kind` for `pks`, then act on the open ones this worker could lock."""
    certificates = dict(Certificate.objects.filter(pk__in=pks).values_list("pk", "account_id"))
    CertificateNotice.objects.bulk_create(
        [
            CertificateNotice(account_id=account_id, certificate_id=pk, kind=kind)
            for pk, account_id in certificates.items()
        ],
        ignore_conflicts=True,
    )
    with transaction.atomic():
        notices = list(
            CertificateNotice.objects.select_for_update(skip_locked=True)
            .filter(certificate_id__in=pks, kind=kind, done_at__isnull=True)
            .values_list("pk", "certificate_id")
        )
        if not notices:
            return 0
        chosen = list(
            Certificate.objects.filter(pk__in=[c for _, c in notices]).select_related(
                "order__technical_contact", "order__admin_contact", "order__account", "order__product__brand"
            )
        )
        act(chosen)
        CertificateNotice.objects.filter(pk__in=[n for n, _ in notices]).update(done_at=now)
    return len(notices)


# JOBS-5 ------------------------------------------------------------------------------------------


def expiring(now: datetime, after_days: int, until_days: int) -> QuerySet[Certificate]:
    """Latest valid certificates of delivered orders not on automatic renewal nor "do not renew",
    ending in (after_days, until_days] from now, without an open renewal, whose subscription ends
    with them (a certificate replaced inside its subscription is ORD-13's business)."""
    newer = Certificate.objects.filter(
        order=OuterRef("order"), state=Certificate.State.VALID, not_after__gt=OuterRef("not_after")
    )
    open_renewal = Order.objects.filter(source_order=OuterRef("order"), origin=OrderOrigin.RENEWAL).exclude(
        status__in=CLOSED
    )
    muted = RenewalSettings.objects.filter(account=OuterRef("account"), expiry_reminders=False)
    return Certificate.objects.filter(
        state=Certificate.State.VALID,
        order__status__in=DELIVERED,
        order__auto_renew=False,
        order__do_not_renew=False,
        not_after__gt=now + timedelta(days=after_days),
        not_after__lte=now + timedelta(days=until_days),
    ).filter(~Exists(newer), ~Exists(open_renewal), ~Exists(muted))


def send_expiry_reminders(now: datetime | None = None) -> Outcome:
    now = now or timezone.now()
    sent: dict[str, int] = {}
    with scopes_disabled():
        previous = 0
        for days, kind in EXPIRY_THRESHOLDS:
            ids = _ending_with_subscription(expiring(now, previous, days).order_by("pk"))
            count = 0
            for batch in _batches(ids):
                count += claim(batch, kind, _expiry_mailer(days, now), now)
            sent[kind] = count
            previous = days
    return Outcome(done=sum(sent.values()), details=sent)


def _ending_with_subscription(certificates: QuerySet[Certificate]) -> Iterable[int]:
    """The ids of those whose subscription ends with them (LIFE-9: the others get reissued, ORD-13).
    The subscription end is computed in SQL (`subscription_end_sql`), so the database filters them."""
    ending_with = ExpressionWrapper(F("not_after") + SAME_END, output_field=DateTimeField())
    return (
        certificates.annotate(subscription_end=subscription_end_sql("order__"), ending_with=ending_with)
        .filter(**{"subscription_end__lte": F("ending_with")})
        .values_list("pk", flat=True)
        .iterator(chunk_size=BATCH)
    )


def _expiry_mailer(threshold: int, now: datetime) -> Callable[[list[Certificate]], None]:
    def send(certificates: list[Certificate]) -> None:
        for certificate in certificates:
            _email_expiry(certificate, threshold, now)

    return send


def _acceptance_mailer(certificates: list[Certificate]) -> None:
    for certificate in certificates:
        _email_acceptance(certificate)


def _recipients(order: Order) -> list[str]:
    emails = [order.technical_contact.email]
    if order.admin_contact.email not in emails:
        emails.append(order.admin_contact.email)
    return emails


def _email_expiry(certificate: Certificate, threshold: int, now: datetime) -> None:
    order = certificate.order
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "product": str(order.product),
            "days": max(0, round((certificate.not_after - now).total_seconds() / 86400)),
            "end": timezone.localdate(certificate.not_after).isoformat(),
            "status_url": status_url(order),
            "contact_name": order.technical_contact.full_name,
        }
    send_mail_on_commit("expiry_reminder", _recipients(order), context, language, account=order.account)


# JOBS-6 ------------------------------------------------------------------------------------------


def awaiting_acceptance() -> QuerySet[Certificate]:
    return Certificate.objects.filter(
        state=Certificate.State.VALID,
        accepted_at__isnull=True,
        imported=False,
        issuer__isnull=False,
        order__product__brand__code__in=ACCEPTANCE_DEADLINE_BRANDS,
    )


def enforce_acceptance(now: datetime | None = None) -> Outcome:
    """JOBS-6: warn 10 and 3 days before the deadline, revoke what was not accepted 30 days after delivery."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    with scopes_disabled():
        for start, end, kind in ACCEPTANCE_WARNINGS:
            ids = (
                awaiting_acceptance()
                .filter(created_at__lte=now - timedelta(days=start), created_at__gt=now - timedelta(days=end))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            counts[kind] = sum(
                claim(batch, kind, _acceptance_mailer, now)
                for batch in _batches(ids.iterator(chunk_size=BATCH))
            )
        ids = (
            awaiting_acceptance()
            .filter(created_at__lte=now - timedelta(days=ACCEPTANCE_DAYS))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        counts[K.ACCEPTANCE_REVOKED] = sum(
            claim(batch, K.ACCEPTANCE_REVOKED, _revoke_unaccepted, now)
            for batch in _batches(ids.iterator(chunk_size=BATCH))
        )
    return Outcome(done=sum(counts.values()), details={str(k): v for k, v in counts.items()})


def _revoke_unaccepted(certificates: list[Certificate]) -> None:
    for certificate in certificates:
        if certificate.accepted_at is None and certificate.state == Certificate.State.VALID:
            revoke_certificate(certificate, RevocationReason.UNSPECIFIED, user=None)


def _email_acceptance(certificate: Certificate) -> None:
    order = certificate.order
    language = order.account.language
    deadline = certificate.created_at + timedelta(days=ACCEPTANCE_DAYS)
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "serial": certificate.serial,
            "deadline": timezone.localdate(deadline).isoformat(),
            "status_url": status_url(order),
            "contact_name": order.technical_contact.full_name,
        }
    send_mail_on_commit("acceptance_warning", _recipients(order), context, language, account=order.account)
