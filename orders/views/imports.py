"""ORD-15: import certificates bought elsewhere, then a page listing what was imported, skipped, refused."""

from __future__ import annotations

import secrets

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..lifecycle_forms import ImportForm
from ..services.imports import import_certificates

RESULTS = "import_results"
MAX_RESULTS = 5


@right_required(Right.TECHNICAL)
def import_form(request: AuthenticatedRequest) -> HttpResponseBase:
    account = request.user.account
    initial = {}
    if account.holder is not None:
        initial["organisation"] = account.holder.public_id
    if account.technical_contact is not None:
        initial["manager"] = account.technical_contact.public_id
    form = ImportForm(request.POST or None, request.FILES or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = import_certificates(
            account,
            form.sources(),
            organisation=data["organisation"],
            manager=data["manager"],
            product=data["product"],
            user=request.user,
            request=request,
        )
        token = secrets.token_urlsafe(12)
        results = request.session.get(RESULTS, {})
        results[token] = result.as_dict()
        request.session[RESULTS] = dict(list(results.items())[-MAX_RESULTS:])
        return redirect("lifecycle:import_result", token=token)
    return render(request, "orders/import/form.html", {"form": form})


@right_required(Right.TECHNICAL)
def import_result(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    result = request.session.get(RESULTS, {}).get(token)
    if result is None:
        raise Http404
    return render(request, "orders/import/result.html", {"result": result})
