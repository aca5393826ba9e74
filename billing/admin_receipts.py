"""The back-office page recording money received (ACCT-3, STAFF-2), shared by the invoice and the
order pages: a form (amount, date, method, reference), then a confirmation step saying what will
happen, then `billing.services.receipts.record_receipt`, which locks, checks and audits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.typing import signed_in_user

from .models import Document, ReceiptMethod
from .receipt_forms import ReceiptForm
from .services.receipts import ReceiptError, euros, preview_receipt, record_receipt

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class ReceiptPage:
    """What the page is about: its title, the invoice (or how to get it at the checking step, for an
    order that has none yet), what is due, where to go back, and what settling it does beyond
    marking the invoice paid (an order's move)."""

    title: StrOrPromise
    subject: StrOrPromise
    due: Decimal
    back_url: str
    load_invoice: Callable[[], Document | None]
    settles_note: str = ""
    default_method: str = "transfer"


def receipt_view(request: HttpRequest, site: admin.AdminSite, page: ReceiptPage) -> HttpResponse:
    context = {**site.each_context(request), "title": page.title, "page": page, "due_text": euros(page.due)}
    if request.method != "POST":
        form = ReceiptForm(
            initial={"amount": page.due, "received_on": timezone.localdate(), "method": page.default_method}
        )
        return TemplateResponse(request, "admin/billing/receipt_form.html", {**context, "form": form})
    form = ReceiptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        invoice = page.load_invoice()
        if invoice is None:
            form.add_error(None, _("There is no invoice to record this payment on."))
        else:
            try:
                if request.POST.get("confirmed") == "yes":
                    outcome = record_receipt(
                        invoice,
                        amount=data["amount"],
                        received_on=data["received_on"],
                        method=data["method"],
                        reference=data["reference"],
                        by=signed_in_user(request),
                        request=request,
                    )
                    if outcome.settles:
                        text = _("%(amount)s recorded: invoice %(number)s is paid.")
                    else:
                        text = _("%(amount)s recorded on invoice %(number)s: %(due)s remains due.")
                    messages.success(
                        request,
                        text
                        % {
                            "amount": euros(data["amount"]),
                            "number": invoice.display_number,
                            "due": euros(outcome.due_after),
                        },
                    )
                    return redirect(page.back_url)
                preview = preview_receipt(invoice, data["amount"], data["received_on"])
            except ReceiptError as error:
                form.add_error(None, error.message)
            else:
                return TemplateResponse(
                    request,
                    "admin/billing/receipt_confirm.html",
                    {
                        **context,
                        "form": form,
                        "data": data,
                        "invoice": invoice,
                        "preview": preview,
                        "amount_text": euros(preview.amount),
                        "method_text": str(ReceiptMethod(data["method"]).label).lower(),
                        "due_before_text": euros(preview.due_before),
                        "due_after_text": euros(preview.due_after),
                    },
                )
    return TemplateResponse(request, "admin/billing/receipt_form.html", {**context, "form": form})
