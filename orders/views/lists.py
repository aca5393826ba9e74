"""LIST-1..4: the account's orders in tabs, searched, filtered, sorted, paginated and exported;
ADM-8: the columns each user shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import right_required
from accounts.audit import log_action
from accounts.lists import configure_table, configure_unpaginated
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from ..exports import csv_lines, export_columns, xlsx
from ..filters import OrderFilter
from ..forms.columns import ColumnsForm
from ..services import listing
from ..tables import LIST_NAME, REQUIRED_COLUMNS, OrderTable, available_columns, columns_for, order_table

if TYPE_CHECKING:
    from ..services.listing import ListedOrder

PER_PAGE = 25
LIST_RIGHTS = (Right.TECHNICAL, Right.COMMERCIAL)


def _group(request: HttpRequest) -> str:
    group = request.GET.get("group", listing.DEFAULT_GROUP)
    return group if group in listing.GROUPS else listing.DEFAULT_GROUP


def _filtered(request: AuthenticatedRequest) -> tuple[str, OrderFilter]:
    group = _group(request)
    account = request.user.account
    return group, OrderFilter(request.GET or None, listing.orders_for(account, group), account=account)


@right_required(*LIST_RIGHTS)
@require_safe
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    group, filterset = _filtered(request)
    extra = ("blocking",) if group == "in_progress" else ()
    orders = filterset.qs
    count = listing.list_count(request.user.account, request.GET, orders)
    table = order_table(request.user, orders, extra=extra, count=count)
    _date_sort(request, filterset, table)
    configure_table(request, table, PER_PAGE)
    # LIST-4: a search with one result opens that order's status page.
    if filterset.searching and table.paginator.count == 1:
        return redirect("orders:detail", reference=table.page.object_list.data[0].reference)
    return render(
        request,
        "orders/list.html",
        {
            "table": table,
            "filter": filterset,
            "group": group,
            "groups": [(key, label) for key, (label, _s) in listing.GROUPS.items()],
            "counts": listing.certificate_counts(request.user.account),
            "query": request.GET.urlencode(),
            "tab_query": _without(request, "group", "page"),
        },
    )


def _date_sort(request: HttpRequest, filterset: OrderFilter, table: OrderTable) -> None:
    """LIST-4: a date filter without a chosen sort shows the list in that date's order."""
    sort = filterset.date_sort
    if not sort or request.GET.get(table.prefixed_order_by_field):
        return
    table.order_by = sort  # shown on the column's header
    if not table.order_by:  # the user hides that column: the rows are sorted all the same
        table.data.data = table.data.data.order_by(listing.DATE_SORT_FIELDS[sort])


def _without(request: HttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


def _export(request: AuthenticatedRequest) -> tuple[QuerySet[ListedOrder], list[str], list[str]]:
    group, filterset = _filtered(request)
    extra = ("blocking",) if group == "in_progress" else ()
    table = order_table(request.user, filterset.qs, extra=extra)
    _date_sort(request, filterset, table)
    configure_unpaginated(request, table)  # the same sort as on screen
    columns = export_columns([column.name for column in table.columns])
    labels = dict(available_columns(request.user.account))
    return table.data.data, columns, [labels.get(name, name) for name in columns]


def _filename(extension: str) -> str:
    return f"orders-{timezone.localdate():%Y-%m-%d}.{extension}"


@right_required(*LIST_RIGHTS)
@require_safe
def order_export_csv(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """PLAT-5: the filtered, sorted list as CSV, streamed row by row."""
    orders, columns, header = _export(request)
    response = StreamingHttpResponse(
        csv_lines(orders, columns, header), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@right_required(*LIST_RIGHTS)
@require_safe
def order_export_xlsx(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The same list as an XLSX workbook, streamed as it is written (`accounts.xlsx`)."""
    orders, columns, header = _export(request)
    return xlsx(orders, columns, header, _filename("xlsx"))


@right_required(*LIST_RIGHTS)
@require_http_methods(["GET", "POST"])
def order_columns(request: AuthenticatedRequest) -> HttpResponse:
    """ADM-8: the user picks and orders the columns of the certificate lists; saved on the user."""
    user = request.user
    form = ColumnsForm(
        request.POST if request.method == "POST" else None,
        available=available_columns(user.account),
        chosen=columns_for(user),
        required=REQUIRED_COLUMNS,
    )
    if request.method == "POST" and form.is_valid():
        user.list_columns = {**user.list_columns, LIST_NAME: form.cleaned_data["columns"]}
        user.save(update_fields=["list_columns"])
        log_action(
            "user.list_columns_changed", obj=user, request=request, columns=form.cleaned_data["columns"]
        )
        messages.success(request, _("Your columns are saved."))
        return redirect("orders:list")
    return render(request, "orders/columns.html", {"form": form})
