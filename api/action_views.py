"""The status page's actions through the API (LIFE-5, LIFE-6, ORD-11) and the certificate downloads
(LIFE-3), through the same forms and services as the pages: same state checks under the same
locks, same audit events, same emails."""

from __future__ import annotations

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from orders.action_forms import CancelForm
from orders.csr import CsrError
from orders.lifecycle_forms import ReissueForm
from orders.services import DOWNLOAD_FORMATS
from orders.services.actions import cancel_order, cancel_target, is_revocable, revoke_all, revoke_certificate
from orders.services.downloads import FormatNotOffered, certificate_file
from orders.services.lifecycle import IllegalTransition
from orders.services.reissue import (
    ReissueRefused,
    ReissueRequest,
    reissue,
    reissue_refusal,
    valid_certificates,
)

from .base import LIST_RIGHTS, TECHNICAL, ApiView, api_user, file_renderer, load_certificate, load_order
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


@extend_schema(
    request=CancelInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Cancel an order in progress"),
    tags=["actions"],
    description=gettext_lazy("Cancel an order in progress, with a reason (refunded as the page does)."),
)
class OrderCancel(ApiView):
    """LIFE-6: cancel an order in progress, with a reason (refunded as the page does)."""

    required_rights = (TECHNICAL,)

    def post(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        payload = CancelInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if cancel_target(order) is None:
            raise _conflict(
                "not-cancellable",
                _("Order %(reference)s cannot be cancelled while it is “%(status)s”.")
                % {"reference": order.reference, "status": order.get_status_display()},
            )
        form = CancelForm(payload.validated_data)
        if not form.is_valid():
            raise invalid_form(form)
        user = api_user(request)
        try:
            order = cancel_order(order, form.cleaned_data["reason"], user=user, request=request._request)
        except IllegalTransition as exc:
            raise _conflict("not-cancellable", exc.message) from None
        return detail_response(order, user)


@extend_schema(
    request=RevokeInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Revoke one certificate"),
    tags=["actions"],
    description=gettext_lazy("Revoke one valid certificate of the order with an RFC 5280 reason."),
)
class CertificateRevoke(ApiView):
    """LIFE-5: revoke one valid certificate of the order with an RFC 5280 reason."""

    required_rights = (TECHNICAL,)

    def post(self, request: Request, reference: str, serial: str) -> Response:
        order = load_order(request, reference)
        certificate = load_certificate(order, serial)
        payload = RevokeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not is_revocable(certificate):
            raise _conflict(
                "not-revocable",
                _("Certificate %(serial)s cannot be revoked: it is not a valid certificate issued by us.")
                % {"serial": certificate.serial},
            )
        user = api_user(request)
        try:
            revoke_certificate(
                certificate, payload.validated_data["reason"], user=user, request=request._request
            )
        except IllegalTransition as exc:
            raise _conflict("not-revocable", exc.message) from None
        return detail_response(order, user)


@extend_schema(
    request=RevokeInputSerializer,
    responses=OrderDetailSerializer,
    summary=gettext_lazy("Revoke every valid certificate of an order"),
    tags=["actions"],
)
class OrderRevokeAll(ApiView):
    required_rights = (TECHNICAL,)

    def post(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        payload = RevokeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not any(is_revocable(c) for c in order.certificates.select_related("issuer")):
            raise _conflict(
                "not-revocable",
                _("Order %(reference)s has no valid certificate left to revoke.")
                % {"reference": order.reference},
            )
        user = api_user(request)
        try:
            revoke_all(order, payload.validated_data["reason"], user=user, request=request._request)
        except IllegalTransition as exc:
            raise _conflict("not-revocable", exc.message) from None
        return detail_response(order, user)


@extend_schema(
    request=ReissueInputSerializer,
    responses={201: OrderDetailSerializer},
    summary=gettext_lazy("Reissue a certificate of the order (free, same order)"),
    tags=["actions"],
    description=gettext_lazy(
        "A new certificate on the same order for a new CSR; the replaced one kept, revoked now or after a grace delay, as on the reissue page."
    ),
)
class OrderReissue(ApiView):
    """ORD-11: a new certificate on the same order for a new CSR; the replaced one kept, revoked now
    or after a grace delay, as on the reissue page."""

    required_rights = (TECHNICAL,)

    def post(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        payload = ReissueInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        now = timezone.now()
        refusal = reissue_refusal(order, now)
        if refusal:
            raise _conflict("not-reissuable", refusal)
        valid = valid_certificates(order, now)
        data = dict(payload.validated_data)
        form_input = {key: str(value) for key, value in data.items() if key != "sans" and value is not None}
        form_input.setdefault("replaced", valid[0].serial if valid else "")
        form_input.setdefault("old_certificate", "keep")
        form_input["sans"] = "\n".join(data["sans"]) if "sans" in data else "\n".join(order.sans)
        form = ReissueForm(form_input, order=order, valid=valid)
        if not form.is_valid():
            raise invalid_form(form)
        cleaned = form.cleaned_data
        assert form.csr_info is not None
        user = api_user(request)
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
                request=request._request,
                now=now,
            )
        except ReissueRefused as exc:
            raise _conflict("not-reissuable", exc.message) from None
        except CsrError as exc:
            raise Problem(
                400,
                "invalid",
                _("The request has invalid fields: see errors."),
                errors=[{"detail": exc.message, "pointer": "#/csr"}],
            ) from None
        return detail_response(order, user, status=201)


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
