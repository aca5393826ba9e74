"""Client certificates by invitation (ORD-4): the holder makes their own key in their own browser.

A client certificate ordered with the "invitation" CSR mode has no CSR yet. When the order is
placed, `start_invitation` gives it a secret token (256 bits) and emails the holder (the
administrative contact) a link to the public page /operations/invitation/<token>/, where KeyBot
makes the key pair and the CSR in their browser (ORD-7) and only the CSR is sent back
(`submit_invitation_csr`). The ordering side can remind the holder from the status page
(`send_invitation`); each sending opens the link for `INVITATION_LIFETIME` again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.formatting import date_text
from accounts.mail import send_mail_on_commit
from accounts.models import User

from ..csr import parse_csr
from ..models import CLOSED, DELIVERED, Order

INVITATION_LIFETIME = timedelta(days=30)
TOKEN_MAX_LENGTH = 64


class InvitationState(models.TextChoices):
    OPEN = "open", gettext_lazy("Waiting for the holder's CSR")
    DONE = "done", gettext_lazy("CSR received")
    EXPIRED = "expired", gettext_lazy("Link expired")
    CLOSED = "closed", gettext_lazy("Order closed")


class InvitationError(Exception):
    """The invitation cannot do this now; `message` says why to the person who tried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invitation_url(order: Order) -> str:
    return settings.SITE_URL + reverse("operations:invitation", args=[order.invitation_token])


def is_invitation_order(order: Order) -> bool:
    return order.options.get("csr_mode") == "invitation"


def awaits_invitation(order: Order) -> bool:
    """The order waits for its holder's CSR: the status page offers the reminder then."""
    return is_invitation_order(order) and not order.csr and order.status not in CLOSED | DELIVERED


def expires_at(order: Order) -> datetime | None:
    return order.invitation_sent_at + INVITATION_LIFETIME if order.invitation_sent_at else None


def invitation_state(order: Order, now: datetime | None = None) -> InvitationState:
    if order.csr:
        return InvitationState.DONE
    if order.status in CLOSED | DELIVERED:
        return InvitationState.CLOSED
    end = expires_at(order)
    if end is None or end <= (now or timezone.now()):
        return InvitationState.EXPIRED
    return InvitationState.OPEN


def _send(order: Order, *, reminder: bool) -> None:
    language = order.account.language
    holder = order.admin_contact
    with translation.override(language):
        context = {
            "holder_name": holder.full_name,
            "reference": order.reference,
            "product": str(order.product),
            "organisation": order.organisation.name,
            "email": holder.email,
            "ordered_by": (order.created_by.get_full_name() or order.created_by.username)
            if order.created_by
            else order.technical_contact.full_name,
            "link": invitation_url(order),
            "expires": date_text(expires_at(order)),
            "reminder": reminder,
        }
    send_mail_on_commit("order_invitation", [holder.email], context, language)


def _audit_sent(order: Order, *, user: User | None, request: HttpRequest | None, reminder: bool) -> None:
    expires = expires_at(order)
    assert expires is not None  # the invitation was just sent
    log_action(
        "order.invitation_sent",
        obj=order,
        user=user,
        request=request,
        to=order.admin_contact.email,
        reminder=reminder,
        expires=expires.isoformat(),
    )


def start_invitation(order: Order, *, user: User | None, request: HttpRequest | None = None) -> None:
    """ORD-4: called by submit_order in its transaction for a client order in invitation mode."""
    order.invitation_token = secrets.token_urlsafe(32)
    order.invitation_sent_at = timezone.now()
    order.save(update_fields=["invitation_token", "invitation_sent_at"])
    _audit_sent(order, user=user, request=request, reminder=False)
    _send(order, reminder=False)


def send_invitation(order: Order, *, user: User | None, request: HttpRequest | None = None) -> Order:
    """ORD-4: remind the holder (status page): the same link is emailed again and open for
    INVITATION_LIFETIME from now. Refused once the CSR is in or the order is closed or delivered."""
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related(
                "admin_contact",
                "organisation",
                "product__brand",
                "account",
                "created_by",
                "technical_contact",
            )
            .get(pk=order.pk, account_id=order.account_id)
        )
        if not is_invitation_order(locked):
            raise InvitationError(_("This order's CSR is not made by invitation."))
        if not awaits_invitation(locked):
            raise InvitationError(
                _("The holder's CSR is already received or the order is closed: there is nothing to remind.")
            )
        if not locked.invitation_token:
            locked.invitation_token = secrets.token_urlsafe(32)
        locked.invitation_sent_at = timezone.now()
        locked.save(update_fields=["invitation_token", "invitation_sent_at"])
        _audit_sent(locked, user=user, request=request, reminder=True)
        _send(locked, reminder=True)
    return locked


def find_invitation(token: str) -> Order | None:
    """The order of an invitation link, whatever its state, or None.

    The holder has no login and no account scope: the secret token is the only key, so this one
    lookup runs across accounts (scopes disabled); callers open scope(account=order.account_id).
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    with scopes_disabled():
        return (
            Order.objects.select_related(
                "account",
                "product__brand",
                "organisation",
                "admin_contact",
                "technical_contact",
                "created_by",
            )
            .filter(invitation_token=token)
            .first()
        )


def submit_invitation_csr(order: Order, csr_pem: str, *, request: HttpRequest | None = None) -> Order:
    """ORD-4: the holder's CSR, checked like any other (ORD-6, raises CsrError), is stored once.

    Audited as "order.csr_received" in the holder's name; the holder and the technical contact
    are told by email. Raises InvitationError when the link is no longer open.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk, account_id=order.account_id)
        state = invitation_state(locked)
        if state == InvitationState.DONE:
            raise InvitationError(_("The CSR of this order was already received."))
        if state != InvitationState.OPEN:
            raise InvitationError(
                _(
                    "This invitation link is no longer valid: ask the person who ordered the "
                    "certificate to send you a new one."
                )
            )
        info = parse_csr(csr_pem)
        locked.csr = info.pem
        locked.csr_public_key_sha256 = info.public_key_sha256
        locked.options = {**locked.options, "csr_received_at": timezone.now().isoformat()}
        locked.save(update_fields=["csr", "csr_public_key_sha256", "options"])
        holder = order.admin_contact
        log_action(
            "order.csr_received",
            obj=locked,
            request=request,
            actor_name=holder.full_name,
            via="invitation",
            public_key_sha256=info.public_key_sha256,
            key=info.key_description,
        )
        language = order.account.language
        with translation.override(language):
            context = {
                "holder_name": holder.full_name,
                "reference": locked.reference,
                "product": str(order.product),
                "key": info.key_description,
                "technical_contact": order.technical_contact.full_name,
            }
        send_mail_on_commit(
            "order_invitation_received",
            [holder.email],
            context,
            language,
            cc=[order.technical_contact.email] if order.technical_contact.email != holder.email else None,
        )
    order.csr, order.csr_public_key_sha256, order.options = (
        locked.csr,
        locked.csr_public_key_sha256,
        locked.options,
    )
    return locked
