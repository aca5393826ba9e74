"""The pricing page (PRICE-1): every active product and period at its public price excl. VAT, then
at the price of a chosen formula, brand and volume tier; the same table as PDF and CSV.

Any user of an active account may see it (user guide 8.1: the "Pricing" menu). The queries do
not depend on the catalogue's size: brands, tiers, products, periods and grid, one query each.
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import account_user_required
from accounts.models import Account
from accounts.typing import AuthenticatedRequest

from .. import conf
from ..pricing_forms import PriceChoiceForm
from ..services.pdf import html_to_pdf
from ..services.pricing import PriceChoice, PriceRow, brands_on_sale, price_table, tiers
from .common import csv_response, export_url


def _form(request: AuthenticatedRequest) -> PriceChoiceForm:
    return PriceChoiceForm.for_request(
        request.GET, request.user.account, brands=brands_on_sale(), tiers=tiers()
    )


def _groups(rows: list[PriceRow]) -> list[tuple]:
    """Rows grouped by product (rows come ordered by product, then months)."""
    return [(product, list(items)) for product, items in groupby(rows, key=lambda row: row.product)]


def _choice_text(choice: PriceChoice) -> str:
    """The choice stated above the table and on the PDF."""
    if not choice.discounted or choice.tier is None:
        text = _("Public prices")
    else:
        text = _("%(formula)s formula, %(tier)s products at once") % {
            "formula": Account.Formula(choice.formula).label,
            "tier": choice.tier.label,
        }
    brand = choice.brand.name if choice.brand else _("all brands")
    return f"{text} – {brand}"


@account_user_required
def pricing(request: AuthenticatedRequest) -> HttpResponseBase:
    """PRICE-1: the price table; public prices until the user chooses a formula and a volume."""
    form = _form(request)
    choice = form.choice()
    rows = price_table(choice)
    return render(
        request,
        "billing/pricing.html",
        {
            "form": form,
            "choice": choice,
            "choice_text": _choice_text(choice),
            "groups": _groups(rows),
            "csv_url": export_url("pricing:csv", request),
            "pdf_url": export_url("pricing:pdf", request),
        },
    )


def _header(choice: PriceChoice) -> list[str]:
    header = [_("Brand"), _("Product"), _("Code"), _("Validity (months)"), _("Public price excl. VAT (EUR)")]
    if choice.discounted:
        header += [_("Discount (%)"), _("Your price excl. VAT (EUR)")]
    return header


def _values(row: PriceRow, choice: PriceChoice) -> list:
    values = [row.product.brand.name, row.product.name, row.product.code, row.months, row.public_price]
    if choice.discounted:
        values += [row.discount, row.price]
    return values


def _refuse_invalid(request: AuthenticatedRequest) -> HttpResponseBase:
    messages.error(request, _("Correct your choice before downloading."))
    return redirect(export_url("pricing:pricing", request))


@account_user_required
def pricing_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """PRICE-1: the table shown, as CSV (amounts with a dot, excl. VAT)."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refuse_invalid(request)
    choice = form.choice()
    rows = [_header(choice)] + [_values(row, choice) for row in price_table(choice)]
    return csv_response(rows, f"prices-{timezone.localdate():%Y%m%d}.csv", request)


def render_price_list_pdf(choice: PriceChoice, rows: list[PriceRow], *, language: str) -> bytes:
    """PRICE-1: the price list as PDF (WeasyPrint), in `language`, stating the choice it shows."""
    with translation.override(language):
        html = render_to_string(
            "billing/pdf/price_list.html",
            {
                "choice": choice,
                "choice_text": _choice_text(choice),
                "groups": _groups(rows),
                "seller": conf.seller(),
                "today": timezone.localdate(),
                "language": language,
            },
        )
    return html_to_pdf(html)


@account_user_required
def pricing_pdf(request: AuthenticatedRequest) -> HttpResponseBase:
    """PRICE-1: the table shown, as a PDF price list in the page's language."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refuse_invalid(request)
    choice = form.choice()
    pdf = render_price_list_pdf(choice, price_table(choice), language=translation.get_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="prices-{timezone.localdate():%Y%m%d}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
