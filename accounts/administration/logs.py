"""ADM-9 / PLAT-6: the account's audit events, filtered by period and action type, and their CSV.

Periods are whole days in the current time zone. An action filter without a dot is a namespace:
`user` matches `user.created`, `user.suspended`, ...
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.audit_text import detail_fields, sentence
from accounts.cells import unformula
from accounts.models import Account, AuditEvent

# The event as a person reads it first, then the machine-readable codes as extra columns.
CSV_HEADER = [
    "when",
    "event",
    "details_text",
    "who",
    "staff",
    "action",
    "object_type",
    "object_id",
    "address",
    "details",
]


def action_codes(account: Account) -> list[str]:
    """The action codes present in the account's trail, for the filter's choices."""
    codes = AuditEvent.objects.filter(account=account).order_by().values_list("action", flat=True).distinct()
    return sorted(codes)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_events(
    account: Account, *, date_from: date | None = None, date_to: date | None = None, action: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(account=account)
    if date_from:
        events = events.filter(created_at__gte=_day_start(date_from))
    if date_to:
        events = events.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    if action:
        events = (
            events.filter(action=action) if "." in action else events.filter(action__startswith=action + ".")
        )
    return events


def _cell(value: object) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): such text gets a leading quote."""
    return unformula("" if value is None else str(value))


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be yielded one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent], language: str | None = None) -> Iterator[str]:
    """The CSV of `events`, newest first, one line at a time.

    Streamed after the view has returned, outside the request's tenant scope: `events` was built
    in the view (django-scopes filters when a queryset is made), so only derived querysets are
    used here, never a new `AuditEvent.objects` query.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheets then read the file as UTF-8
    yield writer.writerow(CSV_HEADER)
    fields = (
        "created_at",
        "actor_name",
        "is_staff_action",
        "action",
        "object_type",
        "object_id",
        "ip_address",
        "details",
    )
    language = language or translation.get_language()  # the view's: the stream is read after it
    rows = events.order_by("-created_at", "-id").values_list(*fields).iterator(chunk_size=2000)
    for when, who, staff, action, object_type, object_id, address, details in rows:
        with translation.override(language):
            event = sentence(action, who, object_type, object_id)
            details_text = "; ".join(
                gettext("%(label)s: %(value)s") % {"label": label, "value": value}
                for label, value in detail_fields(details, action)
            )
        yield writer.writerow(
            [
                timezone.localtime(when).isoformat(timespec="seconds"),
                _cell(event),
                _cell(details_text),
                _cell(who),
                "yes" if staff else "no",
                _cell(action),
                _cell(object_type),
                _cell(object_id),
                address or "",
                _cell(json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""),
            ]
        )
