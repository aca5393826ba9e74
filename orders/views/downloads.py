"""LIFE-3: a certificate of an order in each download format."""

from __future__ import annotations

from cryptography import x509
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..ca import bundles, get_connector
from ..models import Order
from ..services import DOWNLOAD_FORMATS


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
def download(request: AuthenticatedRequest, reference: str, serial: str, fmt: str) -> HttpResponseBase:
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404
    order = get_for_account(
        Order.objects.select_related("product__brand"), request.user.account, reference=reference
    )
    certificate = get_object_or_404(order.certificates.select_related("issuer__parent"), serial=serial)
    leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
    if certificate.issuer_id is None:
        # ORD-15: an imported certificate comes without the chain of its foreign CA.
        if fmt != "cer":
            raise Http404
        chain = []
    else:
        chain = get_connector(order.product.brand).chain(certificate)
    base = bundles.safe_filename(certificate.common_name)
    body: str | bytes
    match fmt:
        case "cer":
            body, filename = bundles.leaf_pem(leaf), f"{base}.cer"
        case "p7b":
            body, filename = bundles.pkcs7_der(leaf, chain), f"{base}.p7b"
        case "fullchain":
            body, filename = bundles.chain_pem(leaf, chain), f"{base}-fullchain.pem"
        case "root":
            body, filename = bundles.root_pem(chain), "root.cer"
        case _:
            body, filename = bundles.zip_bundle(leaf, chain, certificate.common_name), f"{base}.zip"
    response = HttpResponse(body, content_type=str(DOWNLOAD_FORMATS[fmt]["content_type"]))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
