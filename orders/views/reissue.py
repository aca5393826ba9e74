"""ORD-11: the list of reissuable certificates and the reissue form (free, same order and reference)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import get_for_account, right_required
from accounts.lists import CountedRows, paginate
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..csr import CsrError
from ..lifecycle_forms import ReissueForm
from ..models import Order
from ..services.kinds import profile_for
from ..services.reissue import (
    OldCertificate,
    ReissueReason,
    ReissueRefused,
    ReissueRequest,
    fate_label,
    reissuable_count,
    reissuable_orders,
    reissue,
    reissue_refusal,
    valid_certificates,
)

PER_PAGE = 50
_REVOKING = {OldCertificate.REVOKE_NOW, OldCertificate.REVOKE_LATER}


def _revokes(request: AuthenticatedRequest) -> bool:
    """A reissue that revokes the replaced certificate is a sensitive action: recent login needed."""
    return request.method == "POST" and (
        request.POST.get("old_certificate") in _REVOKING
        or request.POST.get("reason") == ReissueReason.KEY_COMPROMISE
    )


@right_required(Right.TECHNICAL)
def reissue_list(request: AuthenticatedRequest) -> HttpResponseBase:
    account, now = request.user.account, timezone.now()
    rows = CountedRows(reissuable_orders(account, now), reissuable_count(account, now))
    page = paginate(request, rows, PER_PAGE)
    return render(request, "orders/reissue/list.html", {"page": page})


@right_required(Right.TECHNICAL)
@reauthentication_required(enabled=_revokes)
def reissue_order(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    order = get_for_account(
        Order.objects.select_related("product__brand", "organisation", "technical_contact").prefetch_related(
            "certificates"
        ),
        request.user.account,
        reference=reference,
    )
    now = timezone.now()
    refusal = reissue_refusal(order, now)
    if refusal:
        return render(request, "orders/reissue/refused.html", {"order": order, "refusal": refusal})
    valid = valid_certificates(order, now)
    form = ReissueForm(request.POST or None, order=order, valid=valid)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assert form.csr_info is not None  # set by clean_csr: the CSR is a required field
        try:
            certificate = reissue(
                order,
                ReissueRequest(
                    reason=data["reason"],
                    csr=form.csr_info,
                    sans=data["sans"],
                    replaced=data["replaced"],
                    old_certificate=data["old_certificate"],
                    grace_days=data["grace_days"],
                    server_software=data["server_software"],
                    server_software_other=data["server_software_other"],
                    chain=data.get("chain", ""),
                ),
                user=request.user,
                request=request,
                now=now,
            )
        except ReissueRefused as exc:
            form.add_error(None, exc.message)
        except CsrError as exc:
            form.add_error("csr", exc.message)
        else:
            messages.success(
                request,
                " ".join(
                    [
                        _("The certificate is reissued (serial %(serial)s).")
                        % {"serial": certificate.serial},
                        fate_label(data["old_certificate"], data["replaced"]),
                    ]
                ),
            )
            return redirect("orders:detail", order.reference)
    return render(
        request,
        "orders/reissue/form.html",
        {
            "order": order,
            "form": form,
            "valid": valid,
            "profile": profile_for(order.product),
            "keybot_context": form.keybot_context(),
        },
    )
