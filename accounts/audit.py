"""The audit trail (ADM-9, PLAT-6): one function writes every event.

Action codes are namespaced (`order.submitted`, `account.validated`); secrets never go in details.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models import F, Value
from django.http import HttpRequest

from .models import Account, AuditEvent, User

_SECRET_KEYS = {"password", "token", "secret", "key", "private_key", "passphrase"}


def _mask(details: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k.lower() in _SECRET_KEYS else v) for k, v in details.items()}


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_action(
    action: str,
    *,
    account: Account | None = None,
    user: User | None = None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    actor_name: str = "",
    **details: Any,
) -> AuditEvent:
    """Write one audit event. `user` None with no actor name means the system (a scheduled job)."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if account is None and obj is not None:
        account = getattr(obj, "account", None)
    name = actor_name or (user.get_full_name() or user.username if user else "system")
    return AuditEvent.objects.create(
        account=account,
        user=user,
        actor_name=name,
        is_staff_action=bool(user and user.is_staff),
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(getattr(obj, "reference", None) or getattr(obj, "public_id", None) or obj.pk)
        if obj is not None
        else "",
        details=_mask(details),
        ip_address=client_ip(request),
    )


def _column(field: models.Field[Any, Any] | models.ForeignObjectRel) -> str:
    """The database column of a concrete field of AuditEvent (a reverse relation has none)."""
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{field.name} has no column")
    return field.column


def log_actions_for(
    queryset: models.QuerySet[Any],
    action: str,
    *,
    object_type: str,
    object_id: models.Expression | models.F,
    details: models.Expression,
    when: datetime,
    actor_name: str = "system",
) -> int:
    """PLAT-6 for set-based jobs: one audit event per row of `queryset`, written by a single
    `INSERT INTO … SELECT …`, however many rows (the query count of the job stays constant).

    `queryset` must have an `account_id`; `object_id` and `details` are expressions over its rows
    (details e.g. `JSONObject(serial=F("serial"))`, portable to SQLite). Returns the rows written.
    """
    columns = {
        "account": F("account_id"),
        "actor_name": Value(actor_name, output_field=models.CharField()),
        "is_staff_action": Value(False, output_field=models.BooleanField()),
        "action": Value(action, output_field=models.CharField()),
        "object_type": Value(object_type, output_field=models.CharField()),
        "object_id": object_id,
        "details": details,
        "created_at": Value(when, output_field=models.DateTimeField()),
    }
    aliases = {f"audit_{name}": expression for name, expression in columns.items()}
    select = queryset.order_by().annotate(**aliases).values(*aliases)
    sql, params = select.query.sql_with_params()
    meta = AuditEvent._meta
    names = ", ".join(connection.ops.quote_name(_column(meta.get_field(name))) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) {sql}", params)  # noqa: S608 (names from model meta, values as parameters)
        return cursor.rowcount
