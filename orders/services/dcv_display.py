"""What the DCV page and the status page show of an order's domain validations (ORD-8, LIFE-2).

Read-only: nothing here creates or changes a check (the DCV page calls `start_dcv` first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.prepared import prepared_list

from .. import dcv as checks
from ..models import DELIVERED, DcvCheck, DcvMethod, Order
from .dcv import email_addresses, is_passed, methods_for, requires_dcv
from .dcv_config import dcv_config
from .steps import StepState

M = DcvMethod


class CheckState(models.TextChoices):
    PASSED = "passed", _("Validated")
    PENDING = "pending", _("Awaiting validation")
    EXPIRED = "expired", _("Random value expired")
    STALE = "stale", _("Validation too old")


def check_state(check: DcvCheck, at: datetime) -> CheckState:
    if check.validated_at is not None:
        return CheckState.PASSED if is_passed(check, at) else CheckState.STALE
    return CheckState.EXPIRED if check.expires_at <= at else CheckState.PENDING


@dataclass
class CheckRow:
    """One domain's validation with the instructions for its method."""

    check: DcvCheck
    state: CheckState
    names: list[str]
    record_name: str = ""
    cname_target: str = ""
    http_url: str = ""
    approved_addresses: list[str] = field(default_factory=list)
    form: forms.Form | None = None  # the page's method-change form for this check (orders.views.dcv)

    @property
    def state_label(self) -> str:
        return str(self.state.label)

    @property
    def passed(self) -> bool:
        return self.state == CheckState.PASSED

    @property
    def can_check(self) -> bool:
        return self.check.method != M.EMAIL and self.state == CheckState.PENDING

    @property
    def can_resend(self) -> bool:
        return self.check.method == M.EMAIL and self.state == CheckState.PENDING


def _order_checks(account_id: int, order_id: int) -> models.QuerySet[DcvCheck]:
    # By domain: the model's ordering ("order", "domain") is the same within one order but joins
    # the orders table for its own ordering (issue 17, load). Compiled once per process.
    return DcvCheck.objects.filter(account_id=account_id, order_id=order_id).order_by("domain")


def rows(order: Order, checks_: list[DcvCheck] | None = None, now: datetime | None = None) -> list[CheckRow]:
    """The order's checks in the order of its names, with their instructions (one query)."""
    now = now or timezone.now()
    config = dcv_config()
    if checks_ is None:
        checks_ = prepared_list(
            "order-dcv-checks", DcvCheck, _order_checks, account_id=order.account_id, order_id=order.pk
        )
    position = {domain: index for index, domain in enumerate(checks.dcv_domains(order.all_names))}
    result = []
    for check in sorted(checks_, key=lambda c: position.get(c.domain, len(position))):
        result.append(
            CheckRow(
                check=check,
                state=check_state(check, now),
                names=[n for n in order.all_names if checks.validation_domain(n) == check.domain],
                record_name=checks.dns_record_name(check.domain),
                cname_target=checks.cname_target(check.token, config.cname_zone),
                http_url=checks.http_url(check.domain, check.token, config.http_port),
                approved_addresses=email_addresses(check.domain),
            )
        )
    return result


@dataclass(frozen=True)
class Panel:
    """The DCV box of the status page (LIFE-2): one line per domain and the link to the DCV page."""

    rows: list[CheckRow]
    started: bool
    complete: bool
    url: str
    changeable: bool


def panel_context(order: Order, now: datetime | None = None) -> dict:
    """Context for `{% include "orders/dcv/_panel.html" %}`: {"dcv_panel": Panel or None}."""
    if not requires_dcv(order):
        return {"dcv_panel": None}
    now = now or timezone.now()
    lines = rows(order, now=now)
    covered = {row.check.domain for row in lines if row.passed}
    complete = all(d in covered for d in checks.dcv_domains(order.all_names))
    return {
        "dcv_panel": Panel(
            rows=lines,
            started=bool(lines),
            complete=complete,
            url=reverse("dcv:order", args=[order.reference]),
            changeable=order.status not in DELIVERED and bool(methods_for(order, now)),
        )
    }


def dcv_step_state(order: Order, now: datetime | None = None) -> StepState:
    """LIFE-2 "DCV" step: not required (not a server product), done (delivered, or every domain
    validated), in progress (a validation awaits the customer)."""
    if not requires_dcv(order):
        return StepState.NOT_REQUIRED
    if order.status in DELIVERED:
        return StepState.DONE
    now = now or timezone.now()
    passed = {c.domain for c in DcvCheck.objects.filter(order=order) if is_passed(c, now)}
    domains = checks.dcv_domains(order.all_names)
    return StepState.DONE if all(d in passed for d in domains) else StepState.IN_PROGRESS


def caa_step_state(order: Order, now: datetime | None = None) -> StepState:
    """LIFE-2 "CAA record" step: CAA is read with each domain's validation, so it is done when
    every domain passed (RFC 8659, BR 3.2.2.8), in progress before."""
    return dcv_step_state(order, now)
