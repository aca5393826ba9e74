"""The OpenAPI description's finishing touches (a drf-spectacular postprocessing hook): every
operation lists the problem documents (RFC 9457) it may answer, as `application/problem+json`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .problems import PROBLEM_JSON

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"detail": {"type": "string"}, "pointer": {"type": "string"}},
                "required": ["detail", "pointer"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
DESCRIPTIONS = {  # in the language of the request that asks for the schema
    "400": _("Invalid request: `errors` holds one entry per field message."),
    "401": _("No token, or an unknown, revoked or expired token."),
    "403": _("The API user lacks the right this operation needs."),
    "404": _("No such object in the token's account."),
    "405": _("Method not allowed."),
    "406": _("Not acceptable: ask for application/json."),
    "409": _("The object's state does not allow it now."),
    "415": _("Unsupported media type: send application/json."),
    "422": _("Refused: an Idempotency-Key reused with another request, or an order the rules refuse."),
}


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            codes = ["400", "401", "403", "404", "405", "406"]
            if method in ("post", "put", "patch"):
                codes += ["409", "415", "422"]
            responses = operation.setdefault("responses", {})
            for code, answer in responses.items():
                if code.startswith("2"):  # problem+json is for errors only
                    answer.get("content", {}).pop(PROBLEM_JSON, None)
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": str(DESCRIPTIONS[code]),
                        "content": {PROBLEM_JSON: {"schema": reference}},
                    },
                )
    return result
