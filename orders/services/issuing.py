"""Issuing an order's certificate through its brand's CA connector (STAFF-2, AUTO-4, LIFE-3).

`issue_certificate` runs under the order's row lock and only from an ISSUABLE status, so a second
call (a double click in the back office, a retried task) finds the order delivered and raises
IllegalTransition instead of issuing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import User
from accounts.services import registration_prefill_url

from ..ca import IssuedCertificate, get_connector
from ..ca.profiles import needs_organisation
from ..models import ISSUABLE, TRANSITIONS, Certificate, Order, OrderStatus, ServerSoftware
from ..sharedprimes import remember_certificate_pem
from .dcv import assert_dcv_complete, prepare_issuance
from .lifecycle import IllegalTransition, lock_order, move, subscription_end
from .ordering import status_url

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = OrderStatus


# LIFE-3: the download formats, in the order the status page lists them.
class DownloadFormat(TypedDict):
    label: StrOrPromise
    extension: str
    content_type: str


DOWNLOAD_FORMATS: dict[str, DownloadFormat] = {
    "cer": {
        "label": gettext_lazy("Certificate (PEM, .cer)"),
        "extension": "cer",
        "content_type": "application/x-pem-file",
    },
    "p7b": {
        "label": gettext_lazy("PKCS#7 with the full chain (.p7b)"),
        "extension": "p7b",
        "content_type": "application/x-pkcs7-certificates",
    },
    "fullchain": {
        "label": gettext_lazy("Full chain (PEM)"),
        "extension": "pem",
        "content_type": "application/x-pem-file",
    },
    "root": {
        "label": gettext_lazy("Root certificate (PEM)"),
        "extension": "cer",
        "content_type": "application/x-pem-file",
    },
    "zip": {
        "label": gettext_lazy("All formats (.zip)"),
        "extension": "zip",
        "content_type": "application/zip",
    },
}

# LIFE-3: the format that suits each server software, said in the delivery email.
_FORMAT_FOR_SOFTWARE: dict[str, str] = {
    ServerSoftware.APACHE: "fullchain",
    ServerSoftware.NGINX: "fullchain",
    ServerSoftware.HAPROXY: "fullchain",
    ServerSoftware.F5: "fullchain",
    ServerSoftware.CPANEL: "fullchain",
    ServerSoftware.IIS: "p7b",
    ServerSoftware.EXCHANGE: "p7b",
    ServerSoftware.TOMCAT: "p7b",
}
_ADVICE = {
    "fullchain": gettext_lazy(
        "Install the full chain PEM file next to your private key: it holds your certificate "
        "followed by the intermediate certificate, without the root, which browsers already hold."
    ),
    "p7b": gettext_lazy(
        "Import the PKCS#7 file (.p7b): it holds your certificate and the whole chain, installed in one step."
    ),
    "zip": gettext_lazy(
        "The zip archive holds every format: use the one your software's manual asks for "
        "(usually the certificate and the full chain in PEM)."
    ),
}


def recommended_format(server_software: str) -> str:
    """LIFE-3: Apache/nginx/HAProxy → full chain PEM; IIS/Exchange/Tomcat → PKCS#7; other → zip."""
    return _FORMAT_FOR_SOFTWARE.get(server_software, "zip")


def _organisation_for(order: Order) -> Any:
    """The holder organisation whenever the subject names it: OV/EV, code signing, seals, PSD2
    (orders.ca.profiles.needs_organisation; BR 7.1.4.2 for TLS)."""
    return order.organisation if needs_organisation(order.product) else None


def delivered_status(order: Order) -> str:
    """LIFE-1: paid → delivered and paid; on a monthly account's next invoice → delivered, not
    invoiced (LEDG-1); otherwise → delivered, not paid."""
    if order.paid_at:
        return S.DELIVERED_PAID
    if ((order.options or {}).get("payment") or {}).get("method") == "monthly":
        return S.DELIVERED_NOT_INVOICED
    return S.DELIVERED_NOT_PAID


def issue_certificate(
    order: Order, *, user: User | None, request: HttpRequest | None = None, now: datetime | None = None
) -> Certificate:
    """STAFF-2: issue the order's certificate through its brand's connector and deliver it.

    Only from an ISSUABLE status and, for a server product, once every domain has a passed domain
    control validation young enough for this issue date and CAA allows the brand's CA (ORD-8,
    LIFE-9): DcvPending / CaaRefused (both IllegalTransition) say which names block. Missing
    checks are created first and the order moves to "awaiting DCV" if one is pending.
    The order becomes "delivered and paid" when paid, else
    "delivered, not paid". The certificate ends with the subscription (LIFE-9: the connector caps
    it by the CA/B Forum schedule). `user` None is the portal itself (an ACME order, AUTO-2). Audited as "certificate.issued"; the technical contact gets
    the delivery email saying which download suits their server software (LIFE-3).
    This signs in the caller's transaction: for a brand served by an outside CA, the back office
    and the ACME server go through `orders.services.upstream.issue_or_queue` (a task).
    """
    now = now or timezone.now()
    prepare_issuance(order, user=user, request=request, now=now)  # own transactions: checks made stay made
    with transaction.atomic():
        locked = lock_order(order)
        assert_issuable(locked, now)
        issued = get_connector(locked.product.brand).issue(**connector_arguments(locked, now))
        return store_issued(locked, issued, user=user, request=request, now=now)


def assert_issuable(locked: Order, now: datetime) -> None:
    """The order (locked) may be issued now: an ISSUABLE status, a CSR, DCV complete (ORD-8) and a
    delivered status to move to; raises IllegalTransition (DcvPending, CaaRefused) otherwise."""
    if locked.status not in ISSUABLE:
        raise IllegalTransition(
            locked,
            message=_("Order %(reference)s cannot be issued while it is “%(status)s”.")
            % {"reference": locked.reference, "status": S(locked.status).label},
        )
    if not locked.csr:
        raise IllegalTransition(
            locked,
            message=_("Order %(reference)s has no certificate signing request yet: nothing can be issued.")
            % {"reference": locked.reference},
        )
    assert_dcv_complete(locked, now)
    target = delivered_status(locked)
    if target not in TRANSITIONS[locked.status]:
        raise IllegalTransition(locked, target)


def connector_arguments(order: Order, now: datetime) -> dict[str, Any]:
    """What the brand's connector is asked to sign for `order` (CAConnector.issue)."""
    return {
        "product": order.product,
        "csr_pem": order.csr,
        "common_name": order.common_name,
        "names": order.all_names,
        "organisation": _organisation_for(order),
        "not_after": subscription_end(order),
        "now": now,
        "options": order.options,
    }


def store_issued(
    locked: Order,
    issued: IssuedCertificate,
    *,
    user: User | None,
    request: HttpRequest | None = None,
    now: datetime,
) -> Certificate:
    """Store what the connector issued for the order (locked, checked by `assert_issuable`) and
    deliver it: the Certificate row, the delivered status, the audit event, the delivery email.
    The same for the embedded CA and an outside one (orders.services.upstream)."""
    target = delivered_status(locked)
    certificate = Certificate.objects.create(
        account_id=locked.account_id,
        order=locked,
        created_at=now,
        chain=locked.options.get("chain", ""),
        **issued.certificate_fields(),
    )
    remember_certificate_pem(certificate.pem)  # ORD-6 shared primes (idempotent)
    locked.delivered_at = now
    if not locked.ca_reference:
        locked.ca_reference = issued.serial_hex[:60]
    if not locked.handler_name and user is not None and user.is_staff:
        locked.handler_name = user.get_full_name() or user.username
    locked.save(update_fields=["delivered_at", "ca_reference", "handler_name"])
    move(locked, target, user=user, request=request, note=_("Certificate issued"))
    log_action(
        "certificate.issued",
        obj=locked,
        user=user,
        request=request,
        serial=certificate.serial,
        not_after=certificate.not_after.isoformat(),
        issuer=str(certificate.issuer) if certificate.issuer_id else certificate.issuer_name,
    )
    send_delivery_email(locked, certificate)
    return certificate


def deliver_without_certificate(
    order: Order, *, user: User, request: HttpRequest | None = None, now: datetime | None = None
) -> Order:
    """ORD-4: a product made of no certificate (a site seal, a signature solution: Product.requires_csr
    off) is delivered by the staff once its verification is done; nothing is signed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_order(order)
        if locked.product.requires_csr:
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s is delivered by issuing its certificate.")
                % {"reference": locked.reference},
            )
        if locked.status not in ISSUABLE:
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s cannot be delivered while it is “%(status)s”.")
                % {"reference": locked.reference, "status": S(locked.status).label},
            )
        target = delivered_status(locked)
        if target not in TRANSITIONS[locked.status]:
            raise IllegalTransition(locked, target)
        locked.delivered_at = now
        if not locked.handler_name and user is not None and user.is_staff:
            locked.handler_name = user.get_full_name() or user.username
        locked.save(update_fields=["delivered_at", "handler_name"])
        move(locked, target, user=user, request=request, note=_("Delivered (no certificate to issue)"))
        log_action("order.delivered", obj=locked, user=user, request=request)
    return locked


def holder_registration_url(order: Order) -> str:
    """ACC-1: for a certificate held by another organisation than the account's own (a service
    provider's customer), a registration link prefilled with that organisation; else ""."""
    organisation = order.organisation
    if organisation is None or organisation.is_account_holder:
        return ""
    return registration_prefill_url(organisation)


def send_delivery_email(order: Order, certificate: Certificate) -> None:
    """LIFE-3: the delivery email to the technical contact, with the format to use."""
    language = order.account.language
    fmt = recommended_format(order.server_software)
    with translation.override(language):
        software = (
            order.server_software_other
            if order.server_software == ServerSoftware.OTHER
            else order.get_server_software_display()
        ) or str(ServerSoftware.OTHER.label)
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "names": order.all_names,
            "product": str(order.product),
            "serial": certificate.serial,
            # ISO moments: the template writes the day in each reader's language (`day_text`).
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "server_software": software,
            "format_label": str(DOWNLOAD_FORMATS[fmt]["label"]),
            "format_advice": str(_ADVICE[fmt]),
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
            "holder": order.organisation.name if order.organisation else "",
            "registration_url": holder_registration_url(order),
        }
    send_mail_on_commit(
        "order_delivered", [order.technical_contact.email], context, language, account=order.account
    )
