"""Builders shared by the status-action, approval, external-link and staff-processing tests.

Certificates are signed by the embedded CA directly (as a delivered order holds them), so these
tests do not depend on the issuing workflow's own preconditions (payment, DCV).
"""

from __future__ import annotations

import time
from datetime import datetime

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from django.core import mail
from django.utils import timezone

from orders.ca import EmbeddedCA
from orders.models import Certificate, Order, OrderStatus

REAUTH_TIMEOUT = 300  # settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def deliver(
    order: Order, *, status: str = OrderStatus.DELIVERED_PAID, now: datetime | None = None
) -> Certificate:
    """Sign a certificate for the order's CSR and record it as delivered."""
    now = now or timezone.now()
    issued = EmbeddedCA().issue(
        product=order.product,
        csr_pem=order.csr,
        common_name=order.common_name,
        names=order.all_names,
        organisation=order.organisation,
        now=now,
    )
    certificate = Certificate.objects.create(
        account_id=order.account_id, order=order, created_at=now, **issued.certificate_fields()
    )
    Order.objects.filter(pk=order.pk).update(status=status, delivered_at=now)
    order.refresh_from_db()
    return certificate


def log_in(client, user, *, authenticated_seconds_ago: float = 0):
    """Log in as allauth does: the session records when the password was last confirmed (ACC-9)."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - authenticated_seconds_ago, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def sent_to(template_subject_fragment: str) -> list[list[str]]:
    """The recipients of the emails sent so far whose subject holds the fragment."""
    return [message.to for message in mail.outbox if template_subject_fragment in message.subject]
