"""ADM-7: the account's custom fields on an order, set at order time and changed on the status page."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.audit import log_action
from accounts.models import User

from ..models import Order

FIELDS = ("custom_1", "custom_2", "custom_3", "custom_4")


def set_custom_fields(
    order: Order, values: dict[str, str], *, user: User, request: HttpRequest | None = None
) -> list[str]:
    """Store the labelled custom fields of `order`; returns the names that changed (audited)."""
    labelled = {f"custom_{number}" for number, _label in order.account.custom_fields}
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        changed = [
            name
            for name in FIELDS
            if name in labelled and name in values and getattr(locked, name) != values[name].strip()
        ]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, values[name].strip())
        locked.save(update_fields=changed)
        log_action(
            "order.custom_fields_changed",
            obj=locked,
            user=user,
            request=request,
            **{name: getattr(locked, name) for name in changed},
        )
    for name in changed:
        setattr(order, name, getattr(locked, name))
    return changed
