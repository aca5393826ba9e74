"""ORD-4: the holder's public invitation page, and the reminder sent from the status page.

The invitation page needs no login: the secret token in its URL is the key. The order is found
across accounts by that token only (orders.services.invitation.find_invitation), then everything
runs inside scope(account=<the order's account>), opened here explicitly since the holder has no
account session. Only the CSR is ever posted: KeyBot makes the key in the holder's browser (ORD-7).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope

from accounts.access import get_for_account, public_view, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..csr import CsrError
from ..forms import InvitationCsrForm
from ..models import Order
from ..services.invitation import (
    InvitationError,
    InvitationState,
    expires_at,
    find_invitation,
    invitation_state,
    send_invitation,
    submit_invitation_csr,
)


@public_view
def invitation(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """The holder sees the order (read-only), makes the key and CSR with KeyBot, and sends the CSR."""
    order = find_invitation(token)
    if order is None:
        raise Http404
    with scope(account=order.account_id):
        state = invitation_state(order)
        form = InvitationCsrForm(request.POST or None)
        if request.method == "POST" and state == InvitationState.OPEN and form.is_valid():
            try:
                submit_invitation_csr(order, form.cleaned_data["csr"], request=request)
            except InvitationError as exc:
                form.add_error(None, exc.message)
            except CsrError as exc:
                form.add_error("csr", exc.message)
            else:
                return redirect("operations:invitation", token=token)
        holder, organisation = order.admin_contact, order.organisation
        return render(
            request,
            "orders/invitation/page.html",
            {
                "order": order,
                "holder": holder,
                "organisation": organisation,
                "state": state,
                "form": form,
                "expires": expires_at(order),
                "csr_received": state == InvitationState.DONE,
                "keybot_context": {
                    "mode": "fixed",
                    "fixed": {
                        "CN": holder.email.lower(),
                        "E": holder.email.lower(),
                        "O": organisation.name,
                        "L": organisation.city,
                        "C": organisation.country,
                        "dns": [],
                        "emails": [holder.email.lower()],
                    },
                },
            },
            status=404 if state in {InvitationState.EXPIRED, InvitationState.CLOSED} else 200,
        )


@right_required(Right.TECHNICAL)
@require_POST
def remind(request: AuthenticatedRequest, reference: str) -> HttpResponseBase:
    """ORD-4: email the holder their invitation link again (the status page's "Remind the holder")."""
    order = get_for_account(Order.objects.all(), request.user.account, reference=reference)
    try:
        send_invitation(order, user=request.user, request=request)
    except InvitationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The invitation was emailed again to %(email)s.") % {"email": order.admin_contact.email},
        )
    return redirect("orders:detail", reference=order.reference)
