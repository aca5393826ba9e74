"""Card payment pages (ORD-9): start, the payer's return, the provider's notification, and the pages
of the offline test provider.

- `card_start` (POST, one of the account's unpaid invoices): redirect to the provider;
- `card_return`: the payer's browser comes back with a signed verdict, booked (idempotent), then
  on to the page the payment started from;
- `card_notify`: the provider's server posts the same verdict (public, no CSRF token: the
  signature is the check); a tampered message answers 400 with the reason;
- `test_provider`, `test_provider_pay`, `test_provider_decline`: the test provider's page, labelled
  as such, served only while it is the configured provider.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_scopes import scopes_disabled

from accounts.access import get_for_account, public_view, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..conf import seller
from ..models import Document, DocumentKind
from ..services.receipts import ReceiptError, euros
from .providers import SignatureError, get_provider
from .services import apply_result, start_card_payment
from .test_provider import TestPaymentProvider


def _next_url(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("billing:unpaid")


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "billing/payments/refused.html", {"reason": reason}, status=400)


@right_required(Right.BILLING, Right.TECHNICAL)
@require_POST
def card_start(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    invoice = get_for_account(
        Document.objects.defer("pdf").filter(kind=DocumentKind.INVOICE),
        request.user.account,
        public_id=public_id,
    )
    back = _next_url(request, request.POST.get("next", ""))
    return_url = request.build_absolute_uri(reverse("payments:return")) + "?" + urlencode({"next": back})
    try:
        url = start_card_payment(
            invoice, return_url=return_url, notify_url=request.build_absolute_uri(reverse("payments:notify"))
        )
    except ReceiptError as error:
        messages.info(request, error.message)
        return redirect(back)
    return HttpResponseRedirect(url)


@right_required(Right.BILLING, Right.TECHNICAL)
@require_GET
def card_return(request: AuthenticatedRequest) -> HttpResponse:
    back = _next_url(request, request.GET.get("next", ""))
    try:
        result = get_provider().verify_return(request)
    except SignatureError as error:
        return _refused(request, error.reason)
    try:
        outcome = apply_result(result, by=request.user, account_id=request.user.account.pk, request=request)
    except Document.DoesNotExist:
        raise Http404 from None
    except ReceiptError as error:
        messages.error(request, error.message)
        return redirect(back)
    number = outcome.invoice.display_number
    if not outcome.paid:
        messages.warning(request, _("The card payment was declined: nothing was paid."))
    elif outcome.receipt is not None and outcome.receipt.settles:
        messages.success(request, _("Thank you: invoice %(number)s is paid by card.") % {"number": number})
    elif outcome.receipt is not None:
        messages.success(
            request,
            _("Card payment received: %(due)s remains due on invoice %(number)s.")
            % {"due": euros(outcome.receipt.due_after), "number": number},
        )
    return redirect(back)


@public_view
@csrf_exempt
@require_POST
def card_notify(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server notification; idempotent (a replay books nothing)."""
    try:
        result = get_provider().verify_notification(request)
    except SignatureError as error:
        return HttpResponse(error.reason, status=400, content_type="text/plain; charset=utf-8")
    with scopes_disabled():  # sent by the provider, not by a user of the account
        try:
            outcome = apply_result(result, by=None, request=request)
        except Document.DoesNotExist:
            return HttpResponse("unknown invoice", status=404, content_type="text/plain")
        except ReceiptError as error:
            return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")
    text = "duplicate" if outcome.duplicate else "ok"
    return HttpResponse(text, content_type="text/plain")


def _test_provider() -> TestPaymentProvider:
    provider = get_provider()
    if not isinstance(provider, TestPaymentProvider):
        raise Http404  # a real provider is configured: no test page
    return provider


@public_view
@require_GET
def test_provider(request: HttpRequest) -> HttpResponse:
    """The test provider's payment page: what is asked, Pay and Decline (no real money)."""
    provider = _test_provider()
    try:
        data = provider.payment_request(request.GET)
    except SignatureError as error:
        return _refused(request, error.reason)
    return render(
        request,
        "billing/payments/test_provider.html",
        {
            "data": data,
            "merchant": seller()["name"],
            "amount_text": euros(data["amount"]),
            "payload": request.GET["payload"],
            "signature": request.GET["signature"],
        },
    )


def _test_decision(request: HttpRequest, *, paid: bool) -> HttpResponse:
    provider = _test_provider()
    try:
        data = provider.payment_request(request.POST)
    except SignatureError as error:
        return _refused(request, error.reason)
    separator = "&" if "?" in data["return_url"] else "?"
    return HttpResponseRedirect(data["return_url"] + separator + urlencode(provider.verdict(data, paid=paid)))


@public_view
@require_POST
def test_provider_pay(request: HttpRequest) -> HttpResponse:
    return _test_decision(request, paid=True)


@public_view
@require_POST
def test_provider_decline(request: HttpRequest) -> HttpResponse:
    return _test_decision(request, paid=False)
