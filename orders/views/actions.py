"""The status page's actions (LIFE-5 to LIFE-8), one URL and one form each (STYLE.md 9).

Each view checks the user's right (decorator), the order's account (404 otherwise) and the state
(a message and back to the status page when it no longer allows the action); the services check
the state again under their locks.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import get_for_account, right_required
from accounts.lists import paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..action_forms import AuditDocumentForm, CancelForm, CommentForm, NoteForm, RevokeForm
from ..models import AuditDocument, Certificate, Order, RevocationReason
from ..services.actions import (
    accept_certificate,
    acceptance_deadline,
    add_comment,
    can_accept,
    can_comment,
    cancel_order,
    cancel_target,
    certificates_to_accept,
    is_revocable,
    revoke_all,
    revoke_certificate,
    set_certificate_note,
)
from ..services.documents import can_send_documents, content_type_of, open_requests, send_audit_document
from ..services.lifecycle import IllegalTransition
from .status import load_order

TECHNICAL = Right.TECHNICAL
TO_ACCEPT_PER_PAGE = 50


def _certificate(order: Order, serial: str) -> Certificate:
    return get_object_or_404(Certificate.objects.select_related("issuer"), order=order, serial=serial)


def _back(order: Order) -> HttpResponseRedirect:
    return redirect("orders:detail", reference=order.reference)


def _refused(request: AuthenticatedRequest, order: Order, message: str) -> HttpResponseBase:
    messages.error(request, message)
    return _back(order)


# Revocation (LIFE-5): warning and reason, then a final confirmation, after a recent authentication.


def _revocation(
    request: AuthenticatedRequest,
    order: Order,
    targets: list[Certificate],
    action_url: str,
    revoke: Callable[[str], list[Certificate]],
) -> HttpResponseBase:
    form = RevokeForm(request.POST or None)
    context = {"order": order, "targets": targets, "form": form, "action_url": action_url}
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        if not form.cleaned_data["confirmed"]:
            return render(
                request,
                "orders/actions/revoke_confirm.html",
                {**context, "reason": reason, "reason_label": RevocationReason(reason).label},
            )
        try:
            revoked = revoke(reason)
        except IllegalTransition as exc:
            return _refused(request, order, exc.message)
        messages.success(
            request,
            _("Revoked: %(serials)s. The next revocation list (CRL) of the authority lists it.")
            % {"serials": ", ".join(c.serial for c in revoked)},
        )
        return _back(order)
    return render(request, "orders/actions/revoke.html", context)


@right_required(TECHNICAL)
@reauthentication_required
@require_http_methods(["GET", "POST"])
def revoke(request: AuthenticatedRequest, reference: str, serial: str) -> HttpResponseBase:
    order = load_order(request, reference)
    certificate = _certificate(order, serial)
    if not is_revocable(certificate):
        return _refused(
            request,
            order,
            _("Certificate %(serial)s cannot be revoked: it is not a valid certificate issued by us.")
            % {"serial": certificate.serial},
        )
    return _revocation(
        request,
        order,
        [certificate],
        request.path,
        lambda reason: [revoke_certificate(certificate, reason, user=request.user, request=request)],
    )


@right_required(TECHNICAL)
@reauthentication_required
@require_http_methods(["GET", "POST"])
def revoke_all_view(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference)
    targets = [
        c for c in order.certificates.select_related("issuer").order_by("created_at", "pk") if is_revocable(c)
    ]
    if not targets:
        return _refused(
            request,
            order,
            _("Order %(reference)s has no valid certificate left to revoke.")
            % {"reference": order.reference},
        )
    return _revocation(
        request,
        order,
        targets,
        request.path,
        lambda reason: revoke_all(order, reason, user=request.user, request=request),
    )


# Cancellation (LIFE-6).


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def cancel(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference)
    if cancel_target(order) is None:
        return _refused(
            request,
            order,
            _("Order %(reference)s cannot be cancelled while it is “%(status)s”.")
            % {"reference": order.reference, "status": order.get_status_display()},
        )
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = cancel_order(order, form.cleaned_data["reason"], user=request.user, request=request)
        except IllegalTransition as exc:
            return _refused(request, order, exc.message)
        messages.success(request, _("Order %(reference)s is cancelled.") % {"reference": order.reference})
        return _back(order)
    return render(
        request,
        "orders/actions/cancel.html",
        {"order": order, "form": form, "refunded": order.paid_at is not None},
    )


# Comments (LIFE-2).


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def comment(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference)
    if not can_comment(order):
        return _refused(
            request,
            order,
            _("Order %(reference)s is closed: it takes no more comments.") % {"reference": order.reference},
        )
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_comment(order, form.cleaned_data["text"], user=request.user, request=request)
        except IllegalTransition as exc:
            return _refused(request, order, exc.message)
        messages.success(request, _("Your comment is added."))
        return redirect(f"{_back(order).url}#comments")
    return render(request, "orders/actions/comment.html", {"order": order, "form": form})


# Certificate notes (LIFE-7) and acceptance (LIFE-8).


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def note(request: AuthenticatedRequest, reference: str, serial: str) -> HttpResponseBase:
    order = load_order(request, reference)
    certificate = _certificate(order, serial)
    form = NoteForm(request.POST or None, initial={"note": certificate.note})
    if request.method == "POST" and form.is_valid():
        if set_certificate_note(certificate, form.cleaned_data["note"], user=request.user, request=request):
            messages.success(request, _("The note of certificate %(serial)s is saved.") % {"serial": serial})
        return redirect(f"{_back(order).url}#certificate-{serial}")
    return render(
        request, "orders/actions/note.html", {"order": order, "certificate": certificate, "form": form}
    )


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def accept(request: AuthenticatedRequest, reference: str, serial: str) -> HttpResponseBase:
    order = load_order(request, reference)
    certificate = _certificate(order, serial)
    if certificate.accepted_at is not None:
        messages.info(request, _("Certificate %(serial)s is already accepted.") % {"serial": serial})
        return _back(order)
    if not can_accept(certificate):
        return _refused(
            request,
            order,
            _("Certificate %(serial)s is “%(state)s”: it can no longer be accepted.")
            % {"serial": serial, "state": certificate.get_state_display()},
        )
    if request.method == "POST":
        try:
            accept_certificate(certificate, user=request.user, request=request)
        except IllegalTransition as exc:
            return _refused(request, order, exc.message)
        messages.success(request, _("Certificate %(serial)s is accepted.") % {"serial": serial})
        return _back(order)
    return render(
        request,
        "orders/actions/accept.html",
        {
            "order": order,
            "certificate": certificate,
            "deadline": acceptance_deadline(certificate, order.product.brand.code),
        },
    )


@right_required(TECHNICAL, Right.COMMERCIAL)
@require_safe
def to_accept(request: AuthenticatedRequest) -> HttpResponseBase:
    """LIST-3: the certificates to accept (Certigna: within 30 days of delivery)."""
    page = paginate(request, certificates_to_accept(request.user.account), TO_ACCEPT_PER_PAGE)
    rows = [(c, acceptance_deadline(c, c.order.product.brand.code)) for c in page]
    return render(request, "orders/actions/to_accept.html", {"rows": rows, "page": page})


# Documents for the audit (LIFE-8).


@right_required(TECHNICAL)
@require_http_methods(["GET", "POST"])
def send_document(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference)
    if not can_send_documents(order):
        return _refused(
            request,
            order,
            _("Order %(reference)s is no longer being processed: documents cannot be sent for it.")
            % {"reference": order.reference},
        )
    requested = list(open_requests(order))
    initial = {"kind": requested[0].kind} if requested else {}
    form = AuditDocumentForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = send_audit_document(
                order,
                kind=data["kind"],
                upload=data["file"],
                comment=data["comment"],
                user=request.user,
                request=request,
            )
        except IllegalTransition as exc:
            return _refused(request, order, exc.message)
        messages.success(
            request,
            _("“%(name)s” is attached to the order; the auditor is notified.")
            % {"name": document.original_name},
        )
        return redirect(f"{_back(order).url}#documents")
    return render(
        request, "orders/actions/document.html", {"order": order, "form": form, "requested": requested}
    )


@right_required(TECHNICAL, Right.COMMERCIAL)
@require_safe
def download_document(request: AuthenticatedRequest, reference: str, document_id: int) -> HttpResponseBase:
    order = load_order(request, reference)
    document = get_for_account(
        AuditDocument.objects.filter(order=order), request.user.account, pk=document_id
    )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=content_type_of(document)
    )
