"""LIFE-3: a certificate of an order in each download format (built by orders.services.downloads)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import Order
from ..services.downloads import FormatNotOffered, certificate_file


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
def download(request: AuthenticatedRequest, reference: str, serial: str, fmt: str) -> HttpResponseBase:
    order = get_for_account(
        Order.objects.select_related("product__brand"), request.user.account, reference=reference
    )
    certificate = get_object_or_404(order.certificates.select_related("issuer__parent"), serial=serial)
    try:
        file = certificate_file(order, certificate, fmt)
    except FormatNotOffered:
        raise Http404 from None
    response = HttpResponse(file.body, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
