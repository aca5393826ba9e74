"""ORD-8: the account's domains as its orders' validations (DCV checks) know them, for the REST API's
read-only list: each domain once, with its latest validation and until when that validation may be
reused for a new certificate (BR 4.2.1, `dcv_reuse_days`). One query whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import Account

from ..ca.policy import dcv_reuse_days
from ..models import DcvCheck, Domain


@dataclass(frozen=True)
class DomainState:
    domain: str
    validated_at: datetime | None
    reusable_until: datetime | None
    method: str
    order_reference: str

    def reusable(self, now: datetime) -> bool:
        return self.reusable_until is not None and self.reusable_until > now


def account_domains(account: Account, *, search: str = "", now: datetime | None = None) -> list[DomainState]:
    """Every domain an order of `account` had to validate, alphabetically, with its latest passed
    validation (or, never validated, its latest check), and the domains registered ahead of any
    order without a check yet (AUTO-3); `search` keeps the domains containing it."""
    now = now or timezone.now()
    window = timedelta(days=dcv_reuse_days(now))
    checks = DcvCheck.objects.filter(account=account).select_related("order")
    if search.strip():
        checks = checks.filter(domain__icontains=search.strip())
    found: dict[str, DomainState] = {}
    for check in checks.order_by("domain", F("validated_at").desc(nulls_last=True), "-created_at", "-pk"):
        if check.domain in found:
            continue
        found[check.domain] = DomainState(
            domain=check.domain,
            validated_at=check.validated_at,
            reusable_until=check.validated_at + window if check.validated_at else None,
            method=check.method,
            order_reference=check.order.reference if check.order is not None else "",
        )
    registered = Domain.objects.filter(account=account).exclude(name__in=list(found))
    if search.strip():
        registered = registered.filter(name__icontains=search.strip())
    for name in registered.values_list("name", flat=True):
        found[name] = DomainState(name, None, None, "", "")
    return sorted(found.values(), key=lambda state: state.domain)
