"""LIFE-2: the status page of one order, with its certificates (LIFE-7) and their downloads (LIFE-3),
its comments, its documents for the audit (LIFE-8) and the actions the user may take now.

An action shows only when both the user's rights and the order's state allow it; each action's own
view checks both again (orders/views/actions.py, approval.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render

from accounts.access import get_for_account, right_required
from accounts.models import Right, User
from accounts.prepared import prefetched, prepared_get, prepared_list
from accounts.typing import AuthenticatedRequest

from ..action_forms import CommentForm
from ..csr import CsrError, describe_csr
from ..models import AuditDocument, Certificate, Order, OrderComment, OrderStatus
from ..services import DOWNLOAD_FORMATS, classify_names, recommended_format, verification_steps
from ..services.actions import can_comment, cancel_target, certificate_rows
from ..services.amounts import order_amounts
from ..services.auto_renewal import auto_renewal_panel
from ..services.dcv_display import panel_context
from ..services.documents import can_send_documents, open_requests
from ..services.invitation import awaits_invitation
from ..services.issuing import holder_registration_url
from ..services.migration import clone_url, is_clonable, is_migrable
from ..services.payment import awaits_holdings, how_to_pay, payment_summary, topup_url_name
from ..services.reissue import reissue_refusal
from ..services.renewal import renewable, with_renewal_data
from ..services.signature_options import accepts_options

# The status page shows who ordered and who approved by name only (issue 17, load: each of the two
# users was 29 columns of the page's one big query).
_PEOPLE_SHOWN = {"id", "username", "first_name", "last_name"}
_PEOPLE_UNREAD = [
    f"{relation}__{field.name}"
    for relation in ("created_by", "approved_by")
    for field in User._meta.concrete_fields
    if field.name not in _PEOPLE_SHOWN
]


# Not the contacts' organisations: nothing shows or reads them (2 joins fewer, issue 17, load).
_SHOWN_RELATIONS = (
    "product__brand",
    "organisation",
    "admin_contact",
    "technical_contact",
    "created_by",
    "approved_by",
    "external_link",
)


def _status_page_order(account_id: int, reference: str) -> QuerySet[Order]:
    orders = with_renewal_data(Order.objects.defer(*_PEOPLE_UNREAD)).select_related(*_SHOWN_RELATIONS)
    return orders.filter(account_id=account_id, reference=reference)


# The status page's other queries, each compiled once per process (`accounts.prepared`, issue 17,
# load); each filters on the account itself.
def _certificates(account_id: int, order_id: int) -> QuerySet[Certificate]:
    return (
        Certificate.objects.select_related("issuer")
        .filter(account_id=account_id, order_id=order_id)
        .order_by("-created_at", "-id")
    )


# monitoring's InstallationCheck, reached through its relation: monitoring is a floor above orders.
_INSTALLATION_CHECK: type[Model] = Certificate.installation_checks.rel.related_model


def _latest_installation_checks(account_id: int, order_id: int) -> QuerySet[Model]:
    """The latest installation test of each of the order's certificates (not every test: they
    accumulate with monitoring)."""
    checks = _INSTALLATION_CHECK._default_manager
    latest = checks.filter(certificate_id=OuterRef("pk")).order_by("-checked_at", "-id").values("pk")[:1]
    of_order = Certificate.objects.filter(account_id=account_id, order_id=order_id)
    return checks.filter(
        account_id=account_id, pk__in=of_order.annotate(latest=Subquery(latest)).values("latest")
    )


def _comments(account_id: int, order_id: int) -> QuerySet[OrderComment]:
    return OrderComment.objects.filter(account_id=account_id, order_id=order_id)


def _documents(account_id: int, order_id: int) -> QuerySet[AuditDocument]:
    return (
        AuditDocument.objects.select_related("uploaded_by")
        .filter(account_id=account_id, order_id=order_id)
        .order_by("created_at", "pk")
    )


def load_order(request: AuthenticatedRequest, reference: str, *, for_status_page: bool = False) -> Order:
    """The account's order with what its status page shows, or 404. For the status page itself the
    open renewal and the renewal end (ORD-10) come with it, in the same query, and of the users
    who ordered and approved only their names; that query is compiled once per process
    (`accounts.prepared`: 2 ms of CPU per page, issue 17, load), and filters on the account."""
    account = request.user.account
    if not for_status_page:
        return get_for_account(Order.objects.select_related(*_SHOWN_RELATIONS), account, reference=reference)
    order = prepared_get(
        "status-page-order", Order, _status_page_order, account_id=account.pk, reference=reference
    )
    if order is None or order.account_id != account.pk:
        raise Http404
    return order


def _lifecycle_actions(user: User, order: Order) -> dict[str, bool | str]:
    """LIFE-2, ORD-10..12: renew, reissue, clone and migrate, each offered when the same rule as its
    own view allows it (the renewal verdict, the reissue refusal, the clonable and migrable orders)
    and the user holds the Technical right those views require. URLs are empty when not offered."""
    if not user.has_right(Right.TECHNICAL):
        return {"renew_url": "", "reissue": False, "clone_url": "", "migrate": False}
    verdict = renewable(order)
    return {
        "renew_url": verdict.renewal_url if verdict.ok else "",
        "reissue": reissue_refusal(order) is None,
        # From the loaded order, not two queries (issue 17, load): the same rules as the lists.
        "clone_url": clone_url(order) if is_clonable(order) else "",
        "migrate": is_migrable(order),
    }


def _actions(user: User, order: Order, rows: list[Any]) -> dict[str, bool | str]:
    technical = user.has_right(Right.TECHNICAL)
    approver = user.has_right(Right.APPROVAL)
    awaiting_approval = order.status == OrderStatus.AWAITING_APPROVAL
    return {
        "cancel": technical and cancel_target(order) is not None,
        "revoke_all": technical and sum(row.revocable for row in rows) > 1,
        "revoke": technical,
        "accept": technical,
        "note": technical,
        "comment": technical and can_comment(order),
        "send_documents": technical and can_send_documents(order),
        "approve": approver and awaiting_approval,
        # LEDG-4: an approved order the tokens or balance no longer covered: top up, then pay.
        "pay": (technical or user.has_right(Right.BILLING)) and awaits_holdings(order),
        "top_up": topup_url_name((order.options or {}).get("payment", {}).get("method", ""))
        if user.has_right(Right.BILLING) and awaits_holdings(order)
        else "",
        "approval_cancel": approver and awaiting_approval,
        **_lifecycle_actions(user, order),
    }


# Approvers too (ORD-5): they approve or cancel from the status page, the approval list and its
# emails lead there, and an approver holding no other right must not meet a 403 after approving.
@right_required(Right.TECHNICAL, Right.COMMERCIAL, Right.APPROVAL)
def detail(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = load_order(request, reference, for_status_page=True)
    order.account = request.user.account  # the account it was looked up in: no second query
    try:
        csr = describe_csr(order.csr) if order.csr else None
    except CsrError:
        csr = None  # stored CSRs were checked at order time; a later, stricter rule must not break the page
    # Read once, and the services asking `order.certificates.all()` (renewal, reissue) read them too.
    certificates = prepared_list(
        "status-page-certificates", Certificate, _certificates, account_id=order.account_id, order_id=order.pk
    )
    prefetched(order, "certificates", certificates)
    # The latest installation test of each certificate (LIFE-4, JOBS-3) shows under it: that one only.
    latest = {
        check.certificate_id: check  # type: ignore[attr-defined]
        for check in (
            prepared_list(
                "status-page-installation-checks",
                _INSTALLATION_CHECK,
                _latest_installation_checks,
                account_id=order.account_id,
                order_id=order.pk,
            )
            if certificates
            else []
        )
    }
    for certificate in certificates:
        certificate.last_installation_check = latest.get(certificate.pk)  # type: ignore[attr-defined]
    rows = certificate_rows(order, certificates)
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "names": classify_names(order.common_name, order.sans),
            "csr": csr,
            "steps": verification_steps(order),
            "certificates": rows,
            "formats": DOWNLOAD_FORMATS,
            "recommended": recommended_format(order.server_software),
            "comments": prepared_list(
                "status-page-comments",
                OrderComment,
                _comments,
                account_id=order.account_id,
                order_id=order.pk,
            ),
            "documents": prepared_list(
                "status-page-documents",
                AuditDocument,
                _documents,
                account_id=order.account_id,
                order_id=order.pk,
            ),
            "open_requests": open_requests(order),
            "actions": _actions(request.user, order, rows),
            "comment_form": CommentForm(),
            "custom_fields": [
                (number, label, getattr(order, f"custom_{number}"))
                for number, label in request.user.account.custom_fields
            ],
            "payment": payment_summary(order),
            "how_to_pay": how_to_pay(order),
            "can_pay_card": request.user.has_right(Right.BILLING) or request.user.has_right(Right.TECHNICAL),
            "amounts": order_amounts(order),
            "can_download": request.user.has_right(Right.BILLING),
            "signature_options": accepts_options(order) and request.user.has_right(Right.TECHNICAL),
            "invitation_pending": awaits_invitation(order) and request.user.has_right(Right.TECHNICAL),
            "auto_renewal": auto_renewal_panel(request.user, order),
            "holder_registration_url": holder_registration_url(order),
            **panel_context(order),
        },
    )
