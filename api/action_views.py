"""The status page's actions through the API (LIFE-5, LIFE-6, ORD-11) and the certificate downloads
(LIFE-3), through the same forms and services as the pages: same state checks under the same
locks, same audit events, same emails."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Right, User
from orders.action_forms import CancelForm
from orders.csr import CsrError
from orders.lifecycle_forms import ReissueForm
from orders.models import Certificate, Order
from orders.services import DOWNLOAD_FORMATS
from orders.services.actions import (
    accept_certificate,
    can_accept,
    cancel_order,
    cancel_target,
    is_revocable,
    revoke_all,
    revoke_certificate,
)
from orders.services.approval import approval_refusal, approve_order
from orders.services.downloads import FormatNotOffered, certificate_file
from orders.services.lifecycle import IllegalTransition
from orders.services.payment import PaymentError, awaits_holdings, pay_with_holdings
from orders.services.reissue import (
    ReissueRefused,
    ReissueRequest,
    reissue,
    reissue_refusal,
    valid_certificates,
)

from .base import (
    APPROVAL,
    LIST_RIGHTS,
    TECHNICAL,
    ApiView,
    api_user,
    file_renderer,
    load_certificate,
    load_order,
)
from .order_views import detail_response
from .problems import Problem, invalid_form
from .serializers import (
    CancelInputSerializer,
    OrderDetailSerializer,
    ReissueInputSerializer,
    RevokeInputSerializer,
)


def _conflict(code: str, message: str) -> Problem:
    return Problem(409, code, message)


class OrderAction(ApiView):
    """POST on one of the account's orders: the shape every action shares.

    The order is loaded in the token's account (404 otherwise), the body checked by
    `input_serializer`, `refusal()` answers 409 before anything is done when the order's state
    does not allow the action (the status page's buttons follow the same rules), `act()` calls the
    service, whose IllegalTransition (state changed meanwhile, under its lock) is a 409 too. The
    answer is the order as GET /orders/{reference} shows it (`answer()`).
    """

    required_rights: tuple[Right, ...] = (TECHNICAL,)
    input_serializer: type[serializers.Serializer] | None = None
    conflict_code = "illegal-transition"
    status_code = 200

    def post(self, request: Request, reference: str, **kwargs: str) -> Response:
        order = load_order(request, reference)
        data: dict[str, Any] = {}
        if self.input_serializer is not None:
            payload = self.input_serializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = dict(payload.validated_data)
        user = api_user(request)
        target = self.target(order, **kwargs)
        refusal = self.refusal(order, target)
        if refusal:
            raise _conflict(self.conflict_code, refusal)
        try:
            result = self.act(order, target, data, user, request._request)
        except IllegalTransition as exc:
            raise _conflict(self.conflict_code, exc.message) from None
        return self.answer(order, result, user)

    def answer(self, order: Order, result: Any, user: User) -> Response:
        """The order as GET /orders/{reference} shows it; an action answering what it made (a
        comment) says so here."""
        return detail_response(order, user, status=self.status_code)

    def target(self, order: Order, **kwargs: str) -> Any:
        """What the action is about beyond the order (a certificate, by its serial in the URL)."""
        return None

    def refusal(self, order: Order, target: Any) -> str:
        """Why the order's state refuses the action now ("" when it allows it)."""
        return ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> Any:
        raise NotImplementedError


class CertificateAction(OrderAction):
    """An action on one certificate of the order (its serial in the URL; 404 if not the order's)."""

    def target(self, order: Order, **kwargs: str) -> Certificate:
        return load_certificate(order, kwargs["serial"])


@extend_schema(
    request=CancelInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Cancel an order in progress"),
    tags=["actions"],
    description=gettext_lazy("Cancel an order in progress, with a reason (refunded as the page does)."),
)
class OrderCancel(OrderAction):
    """LIFE-6: cancel an order in progress, with a reason (refunded as the page does)."""

    input_serializer = CancelInputSerializer
    conflict_code = "not-cancellable"

    def refusal(self, order: Order, target: Any) -> str:
        if cancel_target(order) is None:
            return _("Order %(reference)s cannot be cancelled while it is “%(status)s”.") % {
                "reference": order.reference,
                "status": order.get_status_display(),
            }
        return ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        form = CancelForm(data)
        if not form.is_valid():
            raise invalid_form(form)
        cancel_order(order, form.cleaned_data["reason"], user=user, request=request)


@extend_schema(
    request=RevokeInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Revoke one certificate"),
    tags=["actions"],
    description=gettext_lazy("Revoke one valid certificate of the order with an RFC 5280 reason."),
)
class CertificateRevoke(CertificateAction):
    """LIFE-5: revoke one valid certificate of the order with an RFC 5280 reason."""

    input_serializer = RevokeInputSerializer
    conflict_code = "not-revocable"

    def refusal(self, order: Order, target: Certificate) -> str:
        if not is_revocable(target):
            return _(
                "Certificate %(serial)s cannot be revoked: it is not a valid certificate issued by us."
            ) % {"serial": target.serial}
        return ""

    def act(
        self, order: Order, target: Certificate, data: dict[str, Any], user: User, request: HttpRequest
    ) -> None:
        revoke_certificate(target, data["reason"], user=user, request=request)


@extend_schema(
    request=RevokeInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Revoke every valid certificate of an order"),
    tags=["actions"],
)
class OrderRevokeAll(OrderAction):
    input_serializer = RevokeInputSerializer
    conflict_code = "not-revocable"

    def refusal(self, order: Order, target: Any) -> str:
        if not any(is_revocable(c) for c in order.certificates.select_related("issuer")):
            return _("Order %(reference)s has no valid certificate left to revoke.") % {
                "reference": order.reference
            }
        return ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        revoke_all(order, data["reason"], user=user, request=request)


@extend_schema(
    request=None,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Approve an order awaiting approval"),
    tags=["actions"],
    description=gettext_lazy(
        "For an API user with the Approval right: the order goes on and the payment chosen at order time is settled (tokens or balance debited), as when an approver approves it on the portal."
    ),
)
class OrderApprove(OrderAction):
    """ORD-5: approve, through `approve_order` (the payment chosen at order time is settled)."""

    required_rights = (APPROVAL,)
    conflict_code = "not-awaiting-approval"

    def refusal(self, order: Order, target: Any) -> str:
        if order.approved_at is not None:
            return ""  # approved already: answered unchanged, as `approve_order` returns it
        return approval_refusal(order) or ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        approve_order(order, user=user, request=request)


@extend_schema(
    request=CancelInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Refuse an order awaiting approval"),
    tags=["actions"],
    description=gettext_lazy(
        "For an API user with the Approval right: the order is cancelled with the reason given, as when an approver refuses it on the portal."
    ),
)
class OrderReject(OrderAction):
    """ORD-5: the approver refuses the order: cancelled with their reason."""

    required_rights = (APPROVAL,)
    input_serializer = CancelInputSerializer
    conflict_code = "not-awaiting-approval"

    def refusal(self, order: Order, target: Any) -> str:
        return approval_refusal(order) or ""  # the approval pages' message

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        form = CancelForm(data)
        if not form.is_valid():
            raise invalid_form(form)
        cancel_order(order, form.cleaned_data["reason"], user=user, request=request)


@extend_schema(
    request=None,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Accept a delivered certificate"),
    tags=["actions"],
    description=gettext_lazy(
        "For brands that require the subscriber's acceptance (Certigna: within 30 days of delivery, or the CA revokes it). Accepting again changes nothing."
    ),
)
class CertificateAccept(CertificateAction):
    """LIFE-8: the subscriber accepts a delivered certificate."""

    conflict_code = "not-acceptable"

    def refusal(self, order: Order, target: Certificate) -> str:
        if target.accepted_at is None and not can_accept(target):
            return _("Certificate %(serial)s is “%(state)s”: it can no longer be accepted.") % {
                "serial": target.serial,
                "state": target.get_state_display(),
            }
        return ""

    def act(
        self, order: Order, target: Certificate, data: dict[str, Any], user: User, request: HttpRequest
    ) -> None:
        accept_certificate(target, user=user, request=request)


@extend_schema(
    request=None,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Pay an order with tokens or the euro balance"),
    tags=["actions"],
    description=gettext_lazy(
        "An order left awaiting payment because the tokens or the euro balance chosen at order time no longer covered it (after approval) is paid with them once the account is topped up. Card, transfer and cheque payments are made as GET /orders/{reference}/payment says."
    ),
)
class OrderPay(OrderAction):
    """LEDG-4: `pay_with_holdings`, as the status page's "Pay" form."""

    required_rights = (TECHNICAL, Right.BILLING)
    conflict_code = "not-payable"

    def refusal(self, order: Order, target: Any) -> str:
        if not awaits_holdings(order):
            return _("Order %(reference)s has nothing left to pay with tokens or balance.") % {
                "reference": order.reference
            }
        return ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        try:
            pay_with_holdings(order, user=user, request=request)
        except PaymentError as error:
            raise _conflict("insufficient-funds", error.message) from None


@extend_schema(
    request=ReissueInputSerializer,
    responses={201: OrderDetailSerializer},
    summary=gettext_lazy("Reissue a certificate of the order (free, same order)"),
    tags=["actions"],
    description=gettext_lazy(
        "A new certificate on the same order for a new CSR; the replaced one kept, revoked now or after a grace delay, as on the reissue page."
    ),
)
class OrderReissue(OrderAction):
    """ORD-11: a new certificate on the same order for a new CSR; the replaced one kept, revoked now
    or after a grace delay, as on the reissue page."""

    input_serializer = ReissueInputSerializer
    conflict_code = "not-reissuable"
    status_code = 201

    def refusal(self, order: Order, target: Any) -> str:
        return reissue_refusal(order, timezone.now()) or ""

    def act(self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest) -> None:
        now = timezone.now()
        valid = valid_certificates(order, now)
        form_input = {key: str(value) for key, value in data.items() if key != "sans" and value is not None}
        form_input.setdefault("replaced", valid[0].serial if valid else "")
        form_input.setdefault("old_certificate", "keep")
        form_input["sans"] = "\n".join(data["sans"]) if "sans" in data else "\n".join(order.sans)
        form = ReissueForm(form_input, order=order, valid=valid)
        if not form.is_valid():
            raise invalid_form(form)
        cleaned = form.cleaned_data
        assert form.csr_info is not None
        try:
            reissue(
                order,
                ReissueRequest(
                    reason=cleaned["reason"],
                    csr=form.csr_info,
                    sans=cleaned["sans"],
                    replaced=cleaned["replaced"],
                    old_certificate=cleaned["old_certificate"],
                    grace_days=cleaned["grace_days"],
                    server_software=cleaned["server_software"],
                    server_software_other=cleaned["server_software_other"],
                    chain=cleaned.get("chain", ""),
                ),
                user=user,
                request=request,
                now=now,
            )
        except ReissueRefused as exc:
            raise _conflict(self.conflict_code, exc.message) from None
        except CsrError as exc:
            raise Problem(
                400,
                "invalid",
                _("The request has invalid fields: see errors."),
                errors=[{"detail": exc.message, "pointer": "#/csr"}],
            ) from None


_FILE_RESPONSES = {
    (200, spec["content_type"]): OpenApiResponse(OpenApiTypes.BINARY, description=str(spec["label"]))
    for spec in DOWNLOAD_FORMATS.values()
}


@extend_schema(
    responses=_FILE_RESPONSES,
    parameters=[
        OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(DOWNLOAD_FORMATS)),
        OpenApiParameter("format", exclude=True),
    ],
    summary=gettext_lazy("Download a certificate"),
    tags=["orders"],
    description=gettext_lazy(
        "The certificate in one of the status page's formats (an imported one: PEM only)."
    ),
)
class CertificateDownload(ApiView):
    """LIFE-3: the certificate in one of the status page's formats (an imported one: PEM only)."""

    required_rights = LIST_RIGHTS
    renderer_classes = [
        *ApiView.renderer_classes,
        *(file_renderer(t) for t in sorted({spec["content_type"] for spec in DOWNLOAD_FORMATS.values()})),
    ]

    def get(self, request: Request, reference: str, serial: str, fmt: str) -> HttpResponseBase:
        order = load_order(request, reference)
        certificate = load_certificate(order, serial)
        try:
            file = certificate_file(order, certificate, fmt)
        except FormatNotOffered:
            raise Problem(404, "not-found", _("This certificate is not offered in this format.")) from None
        response = HttpResponse(file.body, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response
