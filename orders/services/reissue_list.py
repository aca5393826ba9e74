"""ORD-13 / LIFE-9 / JOBS-1: the recommended reissue list, rebuilt nightly.

A certificate is due for reissue when a third of its own lifetime remains (never before half of
it has passed: two thirds elapsed satisfies both) while the subscription it belongs to runs on
past the certificate's end (SC-081 shortens certificates, not what was bought). The list holds
those due now or within `HORIZON`, with the date from which to reissue.

Selection is set-based: one SQL query (portable to SQLite: duration comparisons only) picks the
certificates whose reissue date falls before the horizon, read in batches; the subscription end
is then computed for that bounded set, and the rows are upserted per batch. Rows no longer due
are deleted in one statement. The whole rebuild runs under the job's lock (`jobs.recorder.exclusive`):
a second concurrent run does nothing. Emails go once per row (`notified_at`), grouped per account.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Value,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts import account_cache
from accounts.mail import send_mail_on_commit
from accounts.models import Account
from jobs.recorder import Outcome, exclusive

from ..models import DELIVERED, Certificate, OrderOrigin, ReissueRecommendation, RenewalSettings
from .ordering import status_url
from .reissue import subscription_end_of

HORIZON = timedelta(days=30)
BATCH = 2000
JOB_NAME = "orders.reissue_list"


def due_at(certificate: Certificate) -> datetime:
    """LIFE-9: when a third of the certificate's lifetime remains."""
    life = certificate.not_after - certificate.not_before
    return certificate.not_after - life / 3


def due_certificates(until: datetime) -> QuerySet[Certificate]:
    """Valid certificates our CA issued on delivered, reissuable, non-imported orders whose reissue
    date is at or before `until`: lifetime >= 3 × (end − until), in SQL on PostgreSQL and SQLite."""
    lifetime = ExpressionWrapper(F("not_after") - F("not_before"), output_field=DurationField())
    left_times_three = ExpressionWrapper(
        (F("not_after") - Value(until, output_field=DateTimeField())) * 3, output_field=DurationField()
    )
    newer = Certificate.objects.filter(
        order=OuterRef("order"), state=Certificate.State.VALID, not_after__gt=OuterRef("not_after")
    )
    return (
        Certificate.objects.filter(
            state=Certificate.State.VALID,
            issuer__isnull=False,
            imported=False,
            order__status__in=DELIVERED,
            order__product__reissuable=True,
        )
        .exclude(order__origin=OrderOrigin.IMPORT)
        .annotate(lifetime=lifetime, left3=left_times_three)
        .filter(lifetime__gte=F("left3"))
        .filter(~Exists(newer))
    )


def rebuild(now: datetime | None = None) -> Outcome:
    """JOBS-1: rebuild the list on every account; returns what changed. Idempotent."""
    now = now or timezone.now()
    with scopes_disabled(), exclusive(JOB_NAME) as held:
        if not held:
            return Outcome(skipped=True, details={"skipped": 1})
        kept = 0
        ids = (
            due_certificates(now + HORIZON)
            .filter(not_after__gt=now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        batch: list[int] = []
        for pk in ids.iterator(chunk_size=BATCH):
            batch.append(pk)
            if len(batch) >= BATCH:
                kept += _upsert(batch, now)
                batch = []
        if batch:
            kept += _upsert(batch, now)
        removed, _detail = ReissueRecommendation.objects.filter(computed_at__lt=now).delete()
    account_cache.forget_all()  # the menu badges (NAV-2)
    return Outcome(done=kept, details={"listed": kept, "removed": removed})


def _upsert(pks: list[int], now: datetime) -> int:
    certificates = (
        Certificate.objects.filter(pk__in=pks)
        .select_related("order")
        .only(
            "pk",
            "account_id",
            "not_before",
            "not_after",
            "order__id",
            "order__subscription_ends_at",
            "order__paid_at",
            "order__created_at",
            "order__period_months",
        )
    )
    rows = []
    for certificate in certificates:
        subscription_end = subscription_end_of(certificate.order)
        if subscription_end <= certificate.not_after:
            continue  # the subscription ends with this certificate: a renewal, not a reissue
        rows.append(
            ReissueRecommendation(
                account_id=certificate.account_id,
                order_id=certificate.order_id,
                certificate_id=certificate.pk,
                reason=ReissueRecommendation.Reason.LIFETIME,
                due_at=due_at(certificate),
                certificate_end=certificate.not_after,
                subscription_end=subscription_end,
                computed_at=now,
            )
        )
    ReissueRecommendation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["certificate"],
        update_fields=["reason", "due_at", "certificate_end", "subscription_end", "computed_at"],
    )
    return len(rows)


def notify(now: datetime | None = None) -> int:
    """JOBS-1: email each account's due, unhidden rows it did not opt out of, once; returns rows emailed.

    Rows are claimed with SKIP LOCKED and marked in the same transaction: a second run or worker
    finds nothing left. Accounts that turned these emails off are skipped (RenewalSettings).
    """
    now = now or timezone.now()
    emailed = 0
    with scopes_disabled():
        muted = RenewalSettings.objects.filter(account=OuterRef("account"), reissue_emails=False)
        with transaction.atomic():
            rows = list(
                ReissueRecommendation.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(notify=True, hidden=False, notified_at__isnull=True, due_at__lte=now + HORIZON)
                .filter(~Exists(muted))
                .select_related("order__technical_contact", "order__admin_contact", "account")
                .order_by("account_id", "due_at", "pk")
            )
            per_account: dict[int, list[ReissueRecommendation]] = defaultdict(list)
            for row in rows:
                per_account[row.account_id].append(row)
            for entries in per_account.values():
                _send(entries)
            ReissueRecommendation.objects.filter(pk__in=[row.pk for row in rows]).update(notified_at=now)
            emailed = len(rows)
    return emailed


def _send(entries: list[ReissueRecommendation]) -> None:
    account = entries[0].account
    language = account.language
    recipients: list[str] = []
    for entry in entries:
        for contact in (entry.order.technical_contact, entry.order.admin_contact):
            if contact.email not in recipients:
                recipients.append(contact.email)
    with translation.override(language):
        context = {
            "account": account.name,
            "entries": [
                {
                    "reference": entry.order.reference,
                    "common_name": entry.order.common_name,
                    "due": timezone.localdate(entry.due_at).isoformat(),
                    "certificate_end": timezone.localdate(entry.certificate_end).isoformat(),
                    "reason": str(entry.get_reason_display()),
                    "status_url": status_url(entry.order),
                }
                for entry in entries
            ],
            "list_url": _list_url(),
        }
    send_mail_on_commit("reissue_recommended", recipients[:10], context, language)


def _list_url() -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("lifecycle:recommended_reissues")


# The page (ORD-13) ------------------------------------------------------------------------------


def recommendations(account: Account, *, show_hidden: bool = False) -> QuerySet[ReissueRecommendation]:
    """The account's list, soonest first; hidden rows only when asked. One query with its joins."""
    rows = ReissueRecommendation.objects.filter(account=account).select_related(
        "order__product__brand", "certificate"
    )
    if not show_hidden:
        rows = rows.filter(hidden=False)
    return rows.order_by("due_at", "pk")


def in_period(account: Account, now: datetime | None = None) -> QuerySet[ReissueRecommendation]:
    """ORD-13 badge: rows due now (their period started) and not hidden."""
    return ReissueRecommendation.objects.filter(
        account=account, hidden=False, due_at__lte=now or timezone.now()
    )


def badge_counts(account: Account) -> dict[str, int]:
    return {"lifecycle:recommended_reissues": in_period(account).count()}


def set_flags(
    account: Account, pks: list[int], *, hidden: bool | None = None, notify: bool | None = None
) -> int:
    """Hide/show rows or opt in/out of their emails, on the account's own rows only."""
    changes: dict[str, bool] = {}
    if hidden is not None:
        changes["hidden"] = hidden
    if notify is not None:
        changes["notify"] = notify
    if not changes:
        return 0
    changed = ReissueRecommendation.objects.filter(account=account, pk__in=pks).update(**changes)
    account_cache.forget(account.pk)  # the menu badge (NAV-2)
    return changed


def csv_export(rows: QuerySet[ReissueRecommendation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Reference"),
            _("Common name"),
            _("Product"),
            _("Reissue from"),
            _("Certificate ends"),
            _("Subscription ends"),
            _("Reason"),
            _("Hidden"),
            _("Emails"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.order.reference,
                row.order.common_name,
                str(row.order.product),
                timezone.localdate(row.due_at).isoformat(),
                timezone.localdate(row.certificate_end).isoformat(),
                timezone.localdate(row.subscription_end).isoformat(),
                row.get_reason_display(),
                _("yes") if row.hidden else _("no"),
                _("yes") if row.notify else _("no"),
            ]
        )
    return out.getvalue()
