"""What a customer does from an order's status page (LIFE-5 to LIFE-8): revoke, cancel, comment,
note a certificate, accept it.

Each action re-checks, under the row lock of what it changes, that the state still allows it:
a refusal raises IllegalTransition with a message for the user; a repeated action that is already
done (a double click) returns without a second audit event or email. Documents for the audit are
in `documents.py`, approval in `approval.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, User
from catalog.models import Brand

from ..ca import UpstreamError, revoking_connector
from ..models import (
    CLOSED,
    IN_PROGRESS,
    TRANSITIONS,
    Certificate,
    Order,
    OrderComment,
    OrderStatus,
    RevocationReason,
)
from .lifecycle import IllegalTransition, lock_order, move
from .ordering import status_url
from .payment import refund_cancelled

S = OrderStatus

# LIFE-8: brands whose certificates must be accepted by the subscriber within ACCEPTANCE_DAYS of
# delivery, or the CA revokes them (the guide, 6.4: Certigna).
ACCEPTANCE_DEADLINE_BRANDS = frozenset({"certigna"})
ACCEPTANCE_DAYS = 30
MAX_COMMENT_LENGTH = 4000
MAX_NOTE_LENGTH = 250


def person_name(user: User) -> str:
    return user.get_full_name() or user.username


# Revocation (LIFE-5) --------------------------------------------------------------------------------


def is_revocable(certificate: Certificate, now: datetime | None = None) -> bool:
    """LIFE-5: a valid, unexpired certificate our CA issued. An imported certificate (ORD-15) is
    revoked by the CA that issued it, not from here."""
    now = now or timezone.now()
    return (
        certificate.state == Certificate.State.VALID
        and not certificate.imported
        and (certificate.issuer_id is not None or bool(certificate.chain_pem))
        and certificate.not_after > now
    )


def _refuse_revocation(certificate: Certificate, order: Order) -> IllegalTransition:
    if certificate.imported or (certificate.issuer_id is None and not certificate.chain_pem):
        message = _("Certificate %(serial)s was imported: only the authority that issued it can revoke it.")
    elif certificate.state == Certificate.State.REVOKED:
        message = _("Certificate %(serial)s is already revoked.")
    else:
        message = _("Certificate %(serial)s has expired: there is nothing left to revoke.")
    return IllegalTransition(order, message=message % {"serial": certificate.serial})


def _revoke_locked(
    certificate: Certificate,
    order: Order,
    reason: RevocationReason,
    *,
    user: User | None,
    request: HttpRequest | None = None,
) -> Certificate:
    try:
        revoked = revoking_connector(certificate, order.product.brand).revoke(certificate, reason)
    except UpstreamError as exc:  # AUTO-4 [beyond]: the outside CA did not revoke; nothing changed here
        raise IllegalTransition(
            order,
            message=_("The certificate authority did not revoke certificate %(serial)s: %(reason)s")
            % {"serial": certificate.serial, "reason": exc.message},
        ) from exc
    log_action(
        "certificate.revoked",
        obj=order,
        user=user,
        request=request,
        serial=certificate.serial,
        reason=str(reason),
        common_name=certificate.common_name,
    )
    return revoked


def revoke_certificate(
    certificate: Certificate, reason: str, *, user: User | None, request: HttpRequest | None = None
) -> Certificate:
    """LIFE-5: revoke one certificate with an RFC 5280 reason (5.3.1); its issuing CA's next CRL lists it.

    Audited as "certificate.revoked"; the technical contact is emailed. Revoking a certificate
    already revoked returns it unchanged (no second event or email); an expired or imported one is
    refused with IllegalTransition. `user` None is the portal acting for an ACME client (AUTO-2
    revokeCert).
    """
    reason = RevocationReason(reason)
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("order__product__brand", "order__technical_contact", "order__account")
            .get(pk=certificate.pk)
        )
        order = locked.order
        if locked.state == Certificate.State.REVOKED:
            return locked
        if not is_revocable(locked):
            raise _refuse_revocation(locked, order)
        revoked = _revoke_locked(locked, order, reason, user=user, request=request)
        send_revocation_email(order, [revoked], reason)
    return revoked


def revoke_all(
    order: Order, reason: str, *, user: User, request: HttpRequest | None = None
) -> list[Certificate]:
    """LIFE-5 "revoke all": every revocable certificate of the order, one audit event each, one email.

    Refused with IllegalTransition when none is left to revoke.
    """
    reason = RevocationReason(reason)
    with transaction.atomic():
        locked_order = lock_order(order)
        certificates = [
            c
            for c in Certificate.objects.select_for_update()
            .filter(order=locked_order)
            .order_by("created_at", "pk")
            if is_revocable(c)
        ]
        if not certificates:
            raise IllegalTransition(
                locked_order,
                message=_("Order %(reference)s has no valid certificate left to revoke.")
                % {"reference": locked_order.reference},
            )
        revoked = [_revoke_locked(c, locked_order, reason, user=user, request=request) for c in certificates]
        send_revocation_email(locked_order, revoked, reason)
    return revoked


def send_revocation_email(order: Order, certificates: list[Certificate], reason: RevocationReason) -> None:
    """LIFE-5: the technical contact learns which certificates were revoked, and why."""
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "serials": [c.serial for c in certificates],
            "reason": str(RevocationReason(reason).label),
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
        }
    emergency = [order.account.emergency_email] if order.account.emergency_email else []
    send_mail_on_commit(
        "order_revoked",
        [order.technical_contact.email],
        context,
        language,
        cc=emergency,
        account=order.account,
    )


# Cancellation (LIFE-6) ------------------------------------------------------------------------------


def cancel_target(order: Order) -> str | None:
    """LIFE-6: where cancelling leads from the order's status, or None when it cannot be cancelled.

    An order in progress is cancelled; one that was paid is cancelled and refunded. Delivered and
    closed orders cannot be cancelled, nor can a move TRANSITIONS does not allow.
    """
    if order.status not in IN_PROGRESS:
        return None
    target = S.CANCELLED_REFUNDED if order.paid_at else S.CANCELLED
    return target if target in TRANSITIONS[order.status] else None


def cancel_order(order: Order, reason: str, *, user: User, request: HttpRequest | None = None) -> Order:
    """LIFE-6: cancel an order in progress with a reason; audited as "order.cancelled" and emailed.

    The money side (cancellation fee by audit progress, the deposit coupon of a paid order, the
    credit note of an invoiced one, tokens given back, a monthly charge withdrawn) is booked in the
    same transaction by orders.services.payment.refund_cancelled. An order already cancelled is
    returned unchanged.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("a cancellation needs a reason")
    with transaction.atomic():
        locked = lock_order(order)
        if locked.status in {S.CANCELLED, S.CANCELLED_REFUNDED}:
            return locked
        target = cancel_target(locked)
        if target is None:
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s cannot be cancelled while it is “%(status)s”.")
                % {"reference": locked.reference, "status": S(locked.status).label},
            )
        # LIFE-6 money side (h19): fee by audit progress, token refund, credit note, coupon; booked
        # before the move, from the status the order is cancelled from.
        refund_cancelled(locked, user=user, reason=reason)
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
        move(locked, target, user=user, request=request, note=reason)
        log_action(
            "order.cancelled",
            obj=locked,
            user=user,
            request=request,
            reason=reason,
            paid=locked.paid_at is not None,
        )
        send_cancellation_email(locked)
    return locked


def send_cancellation_email(order: Order) -> None:
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "reason": order.cancel_reason,
            "status": str(S(order.status).label),
            "status_help": str(order.status_help),
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
        }
    send_mail_on_commit(
        "order_cancelled", [order.technical_contact.email], context, language, account=order.account
    )


# Comments (LIFE-2, STAFF-2) -------------------------------------------------------------------------


def can_comment(order: Order) -> bool:
    """The customer comments an order until it is closed; staff may always."""
    return order.status not in CLOSED


def add_comment(order: Order, text: str, *, user: User, request: HttpRequest | None = None) -> OrderComment:
    """LIFE-2: a comment on the order; a staff member's is "from our team", addressed to the customer
    (STAFF-2), and names them as the order's handler if it had none. Audited as "order.commented"."""
    text = text.strip()
    if not text:
        raise ValueError("empty comment")
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValueError("comment too long")
    from_staff = bool(user.is_staff)
    with transaction.atomic():
        locked = lock_order(order)
        if not from_staff and not can_comment(locked):
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s is closed: it takes no more comments.")
                % {"reference": locked.reference},
            )
        comment = OrderComment.objects.create(
            account_id=locked.account_id,
            order=locked,
            author=user,
            author_name=person_name(user),
            from_staff=from_staff,
            text=text,
        )
        if from_staff and not locked.handler_name:
            locked.handler_name = person_name(user)
            locked.save(update_fields=["handler_name"])
        log_action(
            "order.commented",
            obj=locked,
            user=user,
            request=request,
            comment=comment.pk,
            from_staff=from_staff,
        )
    return comment


# Certificate notes (LIFE-7) -------------------------------------------------------------------------


def set_certificate_note(
    certificate: Certificate, note: str, *, user: User, request: HttpRequest | None = None
) -> bool:
    """LIFE-7: the free note that tells an order's certificates apart. False when unchanged."""
    note = " ".join(note.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError("note too long")
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.note == note:
            return False
        previous, locked.note = locked.note, note
        locked.save(update_fields=["note"])
        log_action(
            "certificate.note_changed",
            obj=certificate.order,
            user=user,
            request=request,
            serial=locked.serial,
            previous=previous,
            note=note,
        )
    certificate.note = note
    return True


# Acceptance (LIFE-8) --------------------------------------------------------------------------------


def acceptance_deadline(certificate: Certificate, brand_code: str) -> datetime | None:
    """LIFE-8: the last moment to accept a certificate of a brand that requires it (30 days after
    delivery for Certigna, or the CA revokes it: JOBS-6); None for other brands."""
    if brand_code not in ACCEPTANCE_DEADLINE_BRANDS:
        return None
    return certificate.created_at + timedelta(days=ACCEPTANCE_DAYS)


def can_accept(certificate: Certificate) -> bool:
    """A delivered certificate that is valid and not accepted yet (imported ones are not ours)."""
    return (
        certificate.state == Certificate.State.VALID
        and certificate.accepted_at is None
        and not certificate.imported
    )


def accept_certificate(
    certificate: Certificate, *, user: User, request: HttpRequest | None = None
) -> Certificate:
    """LIFE-8: the subscriber accepts a delivered certificate; audited as "certificate.accepted".

    Accepting again returns it unchanged; a revoked or expired certificate is refused.
    """
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",)).select_related("order").get(pk=certificate.pk)
        )
        if locked.accepted_at is not None:
            return locked
        if not can_accept(locked):
            raise IllegalTransition(
                locked.order,
                message=_("Certificate %(serial)s is “%(state)s”: it can no longer be accepted.")
                % {"serial": locked.serial, "state": locked.get_state_display()},
            )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        log_action("certificate.accepted", obj=locked.order, user=user, request=request, serial=locked.serial)
    certificate.accepted_at = locked.accepted_at
    return locked


def certificates_to_accept(account: Account) -> QuerySet[Certificate]:
    """LIST-3: the account's valid certificates of brands requiring acceptance, not accepted yet."""
    # Issue 17: the brands' names, read first, let the orders be found over the order's stored
    # brand name and its `(account, brand_name, id)` index: filtering on the brand code alone
    # joins every order of the account with the catalogue (74 ms at 100,000 orders, 0.3 ms so).
    names = list(Brand.objects.filter(code__in=ACCEPTANCE_DEADLINE_BRANDS).values_list("name", flat=True))
    return (
        Certificate.objects.filter(
            account=account,
            state=Certificate.State.VALID,
            accepted_at__isnull=True,
            imported=False,
            order__account=account,
            order__brand_name__in=names,
            order__product__brand__code__in=ACCEPTANCE_DEADLINE_BRANDS,
        )
        .select_related("order__product__brand")
        .order_by("created_at", "pk")
    )


def to_accept_count(account: Account) -> int:
    """NAV-2: the "Certificates to accept" badge (one query)."""
    return certificates_to_accept(account).order_by().count()


# What the status page offers (LIFE-2) ---------------------------------------------------------------


@dataclass(frozen=True)
class CertificateRow:
    """One certificate of the status page with what can be done with it now."""

    certificate: Certificate
    revocable: bool
    acceptable: bool
    deadline: datetime | None

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline < timezone.now()


def certificate_rows(order: Order, certificates: list[Certificate]) -> list[CertificateRow]:
    now = timezone.now()
    brand = order.product.brand.code
    return [
        CertificateRow(
            c, is_revocable(c, now), can_accept(c), acceptance_deadline(c, brand) if can_accept(c) else None
        )
        for c in certificates
    ]
