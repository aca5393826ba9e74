"""The account's Contract page (CON-1) and data processing agreement pages (CON-2), under /contract/.

For the super user and the Administrative right. Decisions are one URL and one form each (accept,
decline, withdraw); the form carries the version read, so a version published meanwhile is not
accepted unseen.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from catalog.models import Brand

from .charts import ObjectiveChart, objective_chart
from .forms import DecisionForm
from .models import ConsentDecision, ConsentTerms, Contract
from .services import consent
from .services.objectives import Situation, situations


def _amount(value: Decimal) -> str:
    return f"{floatformat(value, '2g')}\u00a0€"


def _chart(situation: Situation) -> ObjectiveChart:
    fmt = (lambda v: str(int(v))) if situation.is_count else _amount
    return objective_chart(
        [p.achieved for p in situation.history],
        [p.label for p in situation.history],
        [p.title for p in situation.history],
        situation.target,
        fmt,
    )


@right_required(Right.ADMINISTRATIVE)
def contract(request: AuthenticatedRequest) -> HttpResponse:
    """CON-1: the contract in force (or the latest), its allowed products, objectives and document."""
    account = request.user.account
    today = timezone.localdate()
    contracts = list(
        Contract.objects.filter(account=account)
        .prefetch_related("products__brand", "brands", "objectives")
        .order_by("-ends_on", "-id")
    )
    current = next((c for c in contracts if c.in_force(today)), contracts[0] if contracts else None)
    objectives = []
    if current is not None:
        objectives = [(s, _chart(s)) for s in situations(current, today)]
    return render(
        request,
        "contracts/contract.html",
        {
            "contract": current,
            "in_force": current is not None and current.in_force(today),
            "upcoming": current is not None and current.starts_on > today,
            "others": [c for c in contracts if c is not current],
            "objectives": objectives,
            "today": today,
        },
    )


@right_required(Right.ADMINISTRATIVE)
def contract_document(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """CON-1: the signed contract, as staff uploaded it."""
    item: Contract = get_for_account(Contract.objects.all(), request.user.account, public_id=public_id)
    if not item.signed_document:
        raise Http404
    filename = f"contract-{item.public_id}.pdf"
    response = FileResponse(
        item.signed_document.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@right_required(Right.ADMINISTRATIVE)
def consent_list(request: AuthenticatedRequest) -> HttpResponse:
    """CON-2: every brand's terms and the account's decision."""
    return render(
        request, "contracts/consent_list.html", {"rows": consent.consent_overview(request.user.account)}
    )


def _brand_with_terms(brand_code: str) -> tuple[Brand, ConsentTerms]:
    try:
        brand = Brand.objects.get(code=brand_code, active=True)
    except Brand.DoesNotExist:
        raise Http404 from None
    terms = consent.current_terms(brand)
    if terms is None:
        raise Http404
    return brand, terms


@right_required(Right.ADMINISTRATIVE)
def consent_brand(request: AuthenticatedRequest, brand_code: str) -> HttpResponse:
    """CON-2: one brand's current terms in the user's language, the decision and its history."""
    brand, terms = _brand_with_terms(brand_code)
    history = list(
        ConsentDecision.objects.filter(account=request.user.account, brand=brand).select_related(
            "terms", "user"
        )
    )
    latest = history[0] if history else None
    return render(
        request,
        "contracts/consent_brand.html",
        {
            "brand": brand,
            "terms": terms,
            "text": terms.text(get_language()),
            "latest": latest,
            "accepted": consent.is_accepted(terms, latest),
            "history": history,
        },
    )


def _decide(request: AuthenticatedRequest, brand_code: str, decision: str, done: str) -> HttpResponse:
    brand, terms = _brand_with_terms(brand_code)
    form = DecisionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] != terms.version:
        messages.error(request, _("These terms changed meanwhile: read the current version before deciding."))
        return redirect("contracts:consent_brand", brand_code=brand.code)
    try:
        consent.decide(request.user.account, brand, decision, user=request.user, request=request)
    except consent.ConsentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"brand": brand.name})
    return redirect("contracts:consent_brand", brand_code=brand.code)


@right_required(Right.ADMINISTRATIVE)
@require_POST
def consent_accept(request: AuthenticatedRequest, brand_code: str) -> HttpResponse:
    return _decide(
        request, brand_code, ConsentDecision.Decision.ACCEPTED, _("You accepted the terms of %(brand)s.")
    )


@right_required(Right.ADMINISTRATIVE)
@require_POST
def consent_decline(request: AuthenticatedRequest, brand_code: str) -> HttpResponse:
    return _decide(
        request,
        brand_code,
        ConsentDecision.Decision.DECLINED,
        _("You declined the terms of %(brand)s: its products cannot be ordered."),
    )


@right_required(Right.ADMINISTRATIVE)
@require_POST
def consent_withdraw(request: AuthenticatedRequest, brand_code: str) -> HttpResponse:
    return _decide(
        request,
        brand_code,
        ConsentDecision.Decision.WITHDRAWN,
        _("You withdrew your acceptance of the terms of %(brand)s: its products cannot be ordered."),
    )
