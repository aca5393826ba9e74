"""Helpers shared by the customer billing pages: the formula guard (NAV-1) and the CSV export of
a table (LEDG-2, ACCT-1)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, cast

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django_scopes import scope
from django_tables2 import Table

from accounts.cells import unformula
from accounts.lists import configure_unpaginated
from accounts.typing import AuthenticatedRequest

P = ParamSpec("P")


class FormulaView(Protocol):
    """A view behind `formula_required`: the menu test reads `formulas` (NAV-1)."""

    formulas: tuple[str, ...]

    def __call__(self, request: AuthenticatedRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def formula_required(
    *formulas: str,
) -> Callable[[Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]], FormulaView]:
    """NAV-1: the page exists only for these billing formulas; a hidden entry's URL refuses too (403).

    Goes under `right_required`, which checks the login, the account and the right first.
    """

    def decorator(view: Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]) -> FormulaView:
        @wraps(view)
        def wrapper(request: AuthenticatedRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if request.user.account.formula not in formulas:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        marked = cast(FormulaView, wrapper)
        marked.formulas = formulas
        return marked

    return decorator


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading quote (CSV injection);
    numbers and dates are written as they are."""
    if isinstance(value, str):
        return unformula(value)
    return "" if value is None else value


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be yielded one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable], account_id: int, language: str) -> Iterator[str]:
    """CSV lines of `rows` (the first is the header), in the page's language.

    Streamed after the view has returned, so outside the request's tenant scope and language:
    the generator reopens both for the account it exports.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheets then read the file as UTF-8
    with scope(account=account_id), translation.override(language):
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])


def csv_response(
    rows: Iterable[Iterable], filename: str, request: AuthenticatedRequest
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(rows, request.user.account_id, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_csv_response(table: Table, filename: str, request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The table's shown columns as CSV, all rows in the page's sort order (no pagination)."""
    configure_unpaginated(request, table)
    return csv_response(table.as_values(), filename, request)


def export_url(url_name: str, request: AuthenticatedRequest, *args: Any) -> str:
    """The export URL of a list with the page's filters and sort, without its page number."""
    query = request.GET.copy()
    query.pop("page", None)
    url = reverse(url_name, args=args)
    return f"{url}?{query.urlencode()}" if query else url
