"""Account info: the SEPA direct debit mandate (ADM-5 accounting part, ORD-9).

The form is prefilled from the holder organisation; saving it records a mandate awaiting its
signature and emails its PDF to the account's super user. Each mandate's status shows here until
staff validate (or revoke) it in the back office.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..models import SepaMandate
from ..services.sepa import MandateError, active_mandate, mandates_of, request_mandate
from ..topup_forms import SepaMandateForm


@right_required(Right.BILLING)
def sepa(request: AuthenticatedRequest) -> HttpResponseBase:
    """ADM-5: the account's mandates with their status, and the form of a new one."""
    account = request.user.account
    if request.method == "POST":
        form = SepaMandateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            holder = {
                "name": data["holder_name"],
                "address": data["holder_address"],
                "postal_code": data["holder_postal_code"],
                "city": data["holder_city"],
                "country": data["holder_country"],
            }
            try:
                mandate = request_mandate(
                    account,
                    kind=data["kind"],
                    holder=holder,
                    iban=data["iban"],
                    bic=data["bic"],
                    by=request.user,
                    request=request,
                )
            except MandateError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Mandate %(reference)s was emailed to the account's super user: print "
                        "it, sign it and send it back to us."
                    )
                    % {"reference": mandate.reference},
                )
                return redirect("account_info:sepa")
    else:
        form = SepaMandateForm(initial=SepaMandateForm.initial_for(account))
    return render(
        request,
        "billing/sepa.html",
        {
            "form": form,
            "mandates": list(mandates_of(account)),
            "active": active_mandate(account),
        },
        status=400 if form.is_bound else 200,
    )


@right_required(Right.BILLING)
def sepa_pdf(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ADM-5: the PDF of one of the account's mandates, to print and sign."""
    mandate = get_for_account(SepaMandate.objects.all(), request.user.account, public_id=public_id)
    if not mandate.pdf:
        raise Http404
    response = HttpResponse(bytes(mandate.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{mandate.pdf_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
