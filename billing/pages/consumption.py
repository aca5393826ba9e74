"""Account info: consumption statistics over a chosen period (LEDG-3), per product, in volume or
value, with a bar chart drawn on the server and the month-by-month table; CSV of the table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..charts import bar_chart
from ..forms import ConsumptionForm
from ..formulas import has_tokens
from ..services.consumption import Measure, consumption
from ..templatetags.billing_format import money
from .common import csv_response, export_url


def _form(request: AuthenticatedRequest) -> ConsumptionForm:
    # Token formulas count tokens by default; the others count what was billed.
    default = Measure.VOLUME if has_tokens(request.user.account) else Measure.VALUE
    return ConsumptionForm.from_query(request.GET, timezone.localdate(), default)


def _formatter(measure: str) -> Callable[[Any], str]:
    return money if measure == Measure.VALUE else str


@right_required(Right.BILLING)
def consumption_page(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-3: the statistics of the chosen months (the last twelve by default)."""
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        stats = consumption(request.user.account, data["start"], data["end"], data["measure"])
        fmt = _formatter(stats.measure)
        chart = bar_chart(
            stats.month_totals,
            labels=[formats.date_format(month, "M y") for month in stats.months],
            titles=[formats.date_format(month, "YEAR_MONTH_FORMAT") for month in stats.months],
            fmt=fmt,
        )
        context.update(
            stats=stats,
            chart=chart,
            is_value=stats.measure == Measure.VALUE,
            measure_label=Measure(stats.measure).label,
            export_url=export_url("account_info:consumption_csv", request),
        )
    return render(request, "billing/consumption.html", context)


@right_required(Right.BILLING)
def consumption_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-3: the month-by-month table as CSV (one row per product, one column per month)."""
    form = _form(request)
    if not form.is_valid():
        messages.error(request, _("Correct the period before exporting."))
        return redirect(export_url("account_info:consumption", request))
    data = form.cleaned_data
    stats = consumption(request.user.account, data["start"], data["end"], data["measure"])
    header = [_("Product") if stats.measure == Measure.VOLUME else _("Item")]
    header += [month.strftime("%Y-%m") for month in stats.months] + [_("Total")]
    rows: list[list[Any]] = [header]
    rows += [[row.label, *row.values, row.total] for row in stats.rows]
    rows.append([_("Total"), *stats.month_totals, stats.total])
    return csv_response(rows, f"consumption-{stats.months[0]:%Y%m}-{stats.months[-1]:%Y%m}.csv", request)
