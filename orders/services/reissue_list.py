"""ORD-13 / LIFE-9 / JOBS-1: the recommended reissue list, rebuilt nightly.

A certificate is due for reissue when a third of its own lifetime remains (never before half of
it has passed: two thirds elapsed satisfies both) while the subscription it belongs to runs on
past the certificate's end (SC-081 shortens certificates, not what was bought). The list holds
those due now or within `HORIZON`, with the date from which to reissue.

The due date is the start of the certificate's renewal window (`renewal_window`, RFC 9773 ARI):
a third of its lifetime left, or at once when its key is compromised or blocked. The rebuild is
set-based: INSERT … SELECT … ON CONFLICT DO UPDATE statements compute the rows in SQL (duration
arithmetic and the subscription end in SQL, the same statement on PostgreSQL and SQLite), and rows
no longer due are deleted in one statement: a constant number of queries whatever the number of
certificates. The whole rebuild runs under the job's lock (`jobs.recorder.exclusive`):
a second concurrent run does nothing. Emails go once per row (`notified_at`), grouped per account.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
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

from ..models import DELIVERED, ISSUED_HERE, Certificate, OrderOrigin, ReissueRecommendation, RenewalSettings
from .ordering import status_url
from .reissue import subscription_end_sql
from .renewal_window import ThirdLeft, needs_replacing, renewal_window, with_renewal_window

HORIZON = timedelta(days=30)
JOB_NAME = "orders.reissue_list"


def due_at(certificate: Certificate) -> datetime:
    """LIFE-9: when the certificate's renewal window opens (`renewal_window`, RFC 9773)."""
    return renewal_window(certificate)[0]


def _candidates() -> QuerySet[Certificate]:
    """Valid certificates our CA issued on delivered, reissuable, non-imported orders, the newest of
    their order, annotated with the order's `subscription_end` (in SQL on PostgreSQL and SQLite)."""
    newer = Certificate.objects.filter(
        order=OuterRef("order"), state=Certificate.State.VALID, not_after__gt=OuterRef("not_after")
    )
    return (
        Certificate.objects.filter(
            ISSUED_HERE,
            state=Certificate.State.VALID,
            imported=False,
            order__status__in=DELIVERED,
            order__product__reissuable=True,
        )
        .exclude(order__origin=OrderOrigin.IMPORT)
        .filter(~Exists(newer))
        .annotate(subscription_end=subscription_end_sql("order__"))
    )


def due_certificates(until: datetime) -> QuerySet[Certificate]:
    """Candidates whose lifetime window opens at or before `until`: lifetime >= 3 × (end − until),
    duration comparisons only, so the same SQL runs on PostgreSQL and SQLite."""
    lifetime = ExpressionWrapper(F("not_after") - F("not_before"), output_field=DurationField())
    left_times_three = ExpressionWrapper(
        (F("not_after") - Value(until, output_field=DateTimeField())) * 3, output_field=DurationField()
    )
    return _candidates().annotate(lifetime=lifetime, left3=left_times_three).filter(lifetime__gte=F("left3"))


_COLUMNS = (
    "account_id",
    "order_id",
    "certificate_id",
    "reason",
    "due_at",
    "certificate_end",
    "subscription_end",
    "hidden",
    "notify",
    "computed_at",
)


def _rows(certificates: QuerySet[Certificate], reason: str, due: Any, now: datetime) -> QuerySet[Any]:
    """The SELECT of `_COLUMNS` for `certificates` (aliases prefixed so they clash with no field)."""
    return (
        certificates.order_by()
        .annotate(
            r_account_id=F("account_id"),
            r_order_id=F("order_id"),
            r_certificate_id=F("pk"),
            r_reason=Value(reason, output_field=CharField()),
            r_due_at=due,
            r_certificate_end=F("not_after"),
            r_subscription_end=F("subscription_end"),
            r_hidden=Value(False, output_field=BooleanField()),
            r_notify=Value(True, output_field=BooleanField()),
            r_computed_at=Value(now, output_field=DateTimeField()),
        )
        .values_list(*[f"r_{name}" for name in _COLUMNS])
    )


def _upsert(rows: QuerySet[Any]) -> int:
    """INSERT … SELECT … ON CONFLICT (certificate) DO UPDATE: one statement whatever the number of rows
    (PostgreSQL and SQLite >= 3.24 share the syntax; the SELECT always has a WHERE, which SQLite's
    parser needs before ON CONFLICT). The user's `hidden`/`notify` choices and `notified_at` stay."""
    select_sql, params = rows.query.sql_with_params()
    table = ReissueRecommendation._meta.db_table
    updated = ("reason", "due_at", "certificate_end", "subscription_end", "computed_at")
    # A row that did not change is not rewritten (a nightly rerun writes nothing); all NOT NULL columns,
    # so `<>` is exact on both databases.
    sql = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) {select_sql} "
        f"ON CONFLICT (certificate_id) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in updated)
        + " WHERE "
        + " OR ".join(f"{table}.{name} <> excluded.{name}" for name in updated if name != "computed_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def rebuild(now: datetime | None = None) -> Outcome:
    """JOBS-1: rebuild the list on every account; returns what changed. Idempotent.

    Set-based: one INSERT … SELECT for the certificates whose lifetime window (`renewal_window`) opens
    within `HORIZON` while their subscription runs past them, one for those that must be replaced at
    once (compromised or blocked key) while their subscription runs on (rows that did not change are
    not rewritten), one DELETE of the rows whose certificate is in neither selection. A constant
    number of statements whatever the number of certificates. `computed_at` is when a row last changed."""
    now = now or timezone.now()
    with scopes_disabled(), exclusive(JOB_NAME) as held:
        if not held:
            return Outcome(skipped=True, details={"skipped": 1})
        # (annotations filtered through a dict: the type checker knows the model's fields only)
        lifetime = due_certificates(now + HORIZON).filter(
            not_after__gt=now, **{"subscription_end__gt": F("not_after")}
        )
        _upsert(
            _rows(
                lifetime,
                ReissueRecommendation.Reason.LIFETIME,
                ThirdLeft(F("not_before"), F("not_after")),
                now,
            )
        )
        replace = with_renewal_window(
            needs_replacing(_candidates().exclude(public_key_sha256="")).filter(
                not_after__gt=now, **{"subscription_end__gt": Value(now, output_field=DateTimeField())}
            )
        )
        _upsert(_rows(replace, ReissueRecommendation.Reason.REPLACE, F("replace_since"), now))
        # Rows of certificates in neither selection are no longer due (anti-joins, one statement).
        removed, _detail = (
            ReissueRecommendation.objects.exclude(Exists(lifetime.filter(pk=OuterRef("certificate_id"))))
            .exclude(Exists(replace.filter(pk=OuterRef("certificate_id"))))
            .delete()
        )
        kept = ReissueRecommendation.objects.count()
    account_cache.forget_all()  # the menu badges (NAV-2)
    return Outcome(done=kept, details={"listed": kept, "removed": removed})


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
    send_mail_on_commit("reissue_recommended", recipients[:10], context, language, account=account)


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
