"""Documents for the audit of an order (LIFE-8, STAFF-2): the auditor asks, the customer sends.

A sent file is accepted by what it contains, not by its name: its first bytes must be those of a
PDF, JPEG or PNG file, and its extension must say the same type. The auditor (every active staff
member, the back office having no per-order assignment) is emailed when a document arrives; the
technical contact is emailed when documents are requested.
"""

from __future__ import annotations

import mimetypes
import os
from collections import defaultdict

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import User
from accounts.prepared import prepared_list

from ..models import IN_PROGRESS, AuditDocument, AuditDocumentKind, DocumentRequest, Order
from .lifecycle import IllegalTransition, lock_order
from .ordering import status_url

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024  # LIFE-8: 10 MB
# Magic numbers: PDF 1.7 (ISO 32000-1 7.5.2), JPEG (JFIF/Exif SOI marker + next marker), PNG (RFC 2083 3.1).
_MAGIC = {
    "pdf": b"%PDF-",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
}
_EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


class DocumentRefused(ValueError):  # noqa: N818 (reads as the refusal it is)
    """The file cannot be taken as a document for the audit; the message says why."""


def sniff_type(head: bytes) -> str | None:
    """ "pdf", "jpeg" or "png" from a file's first bytes, None for anything else."""
    for kind, magic in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def check_document(upload: UploadedFile) -> str:
    """LIFE-8: the upload's type ("pdf", "jpeg", "png") if it is acceptable, else DocumentRefused."""
    size = upload.size or 0  # an upload always knows its size; None would be an empty file
    if size > MAX_DOCUMENT_SIZE:
        raise DocumentRefused(_("The file is larger than 10 MB."))
    if size == 0:
        raise DocumentRefused(_("The file is empty."))
    declared = _EXTENSIONS.get(os.path.splitext(upload.name or "")[1].lower())
    if declared is None:
        raise DocumentRefused(_("Send a PDF, JPEG or PNG file."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if sniff_type(head) != declared:
        raise DocumentRefused(
            _("The file's content is not a %(type)s document, whatever its name says.")
            % {"type": declared.upper()}
        )
    return declared


def content_type_of(document: AuditDocument) -> str:
    kind = _EXTENSIONS.get(os.path.splitext(document.original_name)[1].lower())
    return (
        (CONTENT_TYPES.get(kind) if kind is not None else None)
        or mimetypes.guess_type(document.original_name)[0]
        or "application/octet-stream"
    )


def can_send_documents(order: Order) -> bool:
    """Documents are sent while the order is being processed (not once delivered or closed)."""
    return order.status in IN_PROGRESS


def _open_requests(account_id: int, order_id: int) -> QuerySet[DocumentRequest]:
    return DocumentRequest.objects.filter(account_id=account_id, order_id=order_id, fulfilled_at__isnull=True)


def open_requests(order: Order) -> list[DocumentRequest]:
    """The order's document requests not fulfilled yet, oldest first (compiled once per process:
    the status page reads them, issue 17, load)."""
    return prepared_list(
        "order-open-document-requests",
        DocumentRequest,
        _open_requests,
        account_id=order.account_id,
        order_id=order.pk,
    )


def _clean_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "document"
    return base[-200:]


def send_audit_document(
    order: Order,
    *,
    kind: str,
    upload: UploadedFile,
    comment: str = "",
    user: User,
    request: HttpRequest | None = None,
) -> AuditDocument:
    """LIFE-8: attach a document to the order; it fulfils the oldest open request of its type.

    The file is checked again here (size, extension, content). Audited as "order.document_sent";
    the auditors are emailed.
    """
    kind = AuditDocumentKind(kind)
    check_document(upload)
    with transaction.atomic():
        locked = lock_order(order)
        if not can_send_documents(locked):
            raise IllegalTransition(
                locked,
                message=_(
                    "Order %(reference)s is no longer being processed: documents cannot be sent for it."
                )
                % {"reference": locked.reference},
            )
        fulfilled = (
            DocumentRequest.objects.select_for_update()
            .filter(order=locked, kind=kind, fulfilled_at__isnull=True)
            .order_by("requested_at", "pk")
            .first()
        )
        document = AuditDocument(
            account_id=locked.account_id,
            order=locked,
            request=fulfilled,
            kind=kind,
            original_name=_clean_name(upload.name or ""),
            comment=comment.strip(),
            uploaded_by=user,
        )
        document.file.save(document.original_name, upload, save=False)
        document.save()
        if fulfilled is not None:
            fulfilled.fulfilled_at = timezone.now()
            fulfilled.save(update_fields=["fulfilled_at"])
        log_action(
            "order.document_sent",
            obj=locked,
            user=user,
            request=request,
            kind=str(kind),
            file=document.original_name,
            size=upload.size,
            request_id=fulfilled.pk if fulfilled is not None else None,
        )
        notify_auditors(locked, document)
    return document


def auditors() -> QuerySet[User]:
    """The people who audit orders: active staff members with an email address."""
    return User.objects.filter(is_staff=True, is_active=True, account__isnull=True).exclude(email="")


def notify_auditors(order: Order, document: AuditDocument) -> None:
    """LIFE-8: each auditor receives "document received", in their own language."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for language, email in auditors().values_list("language", "email"):
        by_language[language or "en"].append(email)
    admin_url = settings.SITE_URL + reverse("admin:orders_order_change", args=[order.pk])
    for language, emails in sorted(by_language.items()):
        with translation.override(language):
            context = {
                "reference": order.reference,
                "account": order.account.name,
                "kind": str(AuditDocumentKind(document.kind).label),
                "file_name": document.original_name,
                "comment": document.comment,
                "open_requests": len(open_requests(order)),
                "admin_url": admin_url,
            }
        for email in emails:
            send_mail_on_commit("order_document_received", [email], context, language)


def request_documents(
    order: Order, kinds: list[str], note: str = "", *, user: User, request: HttpRequest | None = None
) -> list[DocumentRequest]:
    """STAFF-2, LIFE-8: the auditor asks for documents; the status page counts the open requests.

    A type already asked for and not received yet is not asked twice. Audited as
    "order.documents_requested"; the technical contact is emailed the list.
    """
    wanted = list(dict.fromkeys(AuditDocumentKind(kind) for kind in kinds))
    if not wanted:
        raise ValueError("no document type")
    with transaction.atomic():
        locked = lock_order(order)
        if not can_send_documents(locked):
            raise IllegalTransition(
                locked,
                message=_(
                    "Order %(reference)s is no longer being processed: no documents can be requested for it."
                )
                % {"reference": locked.reference},
            )
        already = {request.kind for request in open_requests(locked)}
        created = [
            DocumentRequest.objects.create(
                account_id=locked.account_id, order=locked, kind=kind, note=note.strip(), requested_by=user
            )
            for kind in wanted
            if kind not in already
        ]
        if not created:
            return []
        if not locked.handler_name and user.is_staff:
            locked.handler_name = user.get_full_name() or user.username
            locked.save(update_fields=["handler_name"])
        log_action(
            "order.documents_requested",
            obj=locked,
            user=user,
            request=request,
            kinds=[str(r.kind) for r in created],
            note=note.strip(),
        )
        send_documents_requested_email(locked, created)
    return created


def send_documents_requested_email(order: Order, requests: list[DocumentRequest]) -> None:
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "kinds": [str(AuditDocumentKind(r.kind).label) for r in requests],
            "note": requests[0].note,
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
            "handler": order.handler_name,
            "office": order.account.office.as_context() if order.account.office else None,
        }
    send_mail_on_commit(
        "order_documents_requested", [order.technical_contact.email], context, language, account=order.account
    )
