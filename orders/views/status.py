"""LIFE-2: the status page of one order, with its certificates (LIFE-7) and their downloads (LIFE-3)."""

from __future__ import annotations

from django.shortcuts import render

from accounts.access import get_for_account, right_required
from accounts.models import Right

from ..csr import CsrError, parse_csr
from ..models import Order
from ..services import DOWNLOAD_FORMATS, classify_names, recommended_format, verification_steps


@right_required(Right.TECHNICAL, Right.COMMERCIAL)
def detail(request, reference: str):
    order = get_for_account(
        Order.objects.select_related("product__brand", "organisation", "admin_contact__organisation",
                                     "technical_contact__organisation", "created_by"),
        request.user.account, reference=reference,
    )
    try:
        csr = parse_csr(order.csr) if order.csr else None
    except CsrError:
        csr = None  # stored CSRs were checked at order time; a later, stricter rule must not break the page
    return render(request, "orders/detail.html", {
        "order": order,
        "names": classify_names(order.common_name, order.sans),
        "csr": csr,
        "steps": verification_steps(order),
        "certificates": order.certificates.select_related("issuer").order_by("-created_at", "-id"),
        "formats": DOWNLOAD_FORMATS,
        "recommended": recommended_format(order.server_software),
    })
