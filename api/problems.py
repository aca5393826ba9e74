"""RFC 9457 problem documents for every error of the API (DRF's EXCEPTION_HANDLER).

Each answer is `application/problem+json` with `type` (a tag URI per kind of problem), `title`
(the same for every occurrence of a type), `status` and `detail`; a validation problem adds
`errors`, one entry per message with the JSON pointer of the field it is about (RFC 9457 §3.2).
Django's Http404 and PermissionDenied become DRF's, so a view may use `get_for_account` (404,
never 403, for another account's object) as the pages do.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.access import public_view

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "tag:certportal,2026:problems/"  # RFC 9457 §3.1.1: a URI that need not resolve

TITLES = {
    400: _("Invalid request"),
    401: _("Authentication needed"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict with the current state"),
    415: _("Unsupported media type"),
    422: _("Unprocessable request"),
    429: _("Too many requests"),
}


class Problem(exceptions.APIException):
    """A refusal the view states itself: `Problem(409, "order-not-cancellable", detail)`."""

    def __init__(self, status_code: int, code: str, detail: Any, *, errors: list[dict] | None = None) -> None:
        self.status_code = status_code
        self.problem_code = code
        self.errors = errors
        super().__init__(detail=detail, code=code)


def _pointer(path: list[str]) -> str:
    return "#/" + "/".join(path)


def field_errors(detail: Any, path: list[str] | None = None) -> list[dict[str, str]]:
    """DRF's nested error detail flattened: one {"detail", "pointer"} per message."""
    path = path or []
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            inner = path if key in ("non_field_errors", "__all__") else [*path, str(key)]
            found += field_errors(value, inner)
        return found
    if isinstance(detail, list):
        found = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                found += field_errors(value, [*path, str(index)])
            else:
                found += field_errors(value, path)
        return found
    return [{"detail": str(detail), "pointer": _pointer(path)}]


def form_errors(form: Any, *, prefix: str = "") -> list[dict[str, str]]:
    """A Django form's errors as problem entries (the field names are the API's where they match)."""
    found = []
    for field, messages in form.errors.items():
        path = [] if field == "__all__" else [prefix + field]
        found += [{"detail": str(message), "pointer": _pointer(path)} for message in messages]
    return found


def invalid_form(form: Any, *, prefix: str = "") -> Problem:
    """400: the form's messages, one entry per field message."""
    return Problem(
        400,
        "invalid",
        gettext("The request has invalid fields: see errors."),
        errors=form_errors(form, prefix=prefix),
    )


def problem_response(status_code: int, code: str, detail: str, *, errors: list | None = None) -> Response:
    data: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        data["errors"] = errors
    return Response(data, status=status_code, content_type=PROBLEM_JSON)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not an API refusal: an error to fix, not to dress up
    if isinstance(exc, Problem):
        problem = problem_response(exc.status_code, exc.problem_code, str(exc.detail), errors=exc.errors)
    elif isinstance(exc, exceptions.ValidationError):
        problem = problem_response(
            status.HTTP_400_BAD_REQUEST,
            "invalid",
            str(_("The request has invalid fields: see errors.")),
            errors=field_errors(exc.detail),
        )
    else:
        code = getattr(exc, "problem_type", "") or TYPE_PREFIX + str(exc.default_code).replace("_", "-")
        problem = problem_response(response.status_code, "", str(exc.detail))
        problem.data["type"] = code
        title = getattr(exc, "title", None)
        if title:
            problem.data["title"] = str(title)
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if header in response:
            problem[header] = response[header]
    return problem


@public_view
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under /api/v1/: a problem document, as every API error."""
    return JsonResponse(
        {
            "type": TYPE_PREFIX + "not-found",
            "title": str(TITLES[404]),
            "status": 404,
            "detail": gettext("No such API path."),
        },
        status=404,
        content_type=PROBLEM_JSON,
    )
