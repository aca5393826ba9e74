"""The API reference page (AUTO-6) at /api/v1/docs/, for the portal's users: every operation of the
OpenAPI schema with its parameters, body fields and answers, rendered on the server in the portal's
layout (no script: the CSP forbids inline ones and the portal loads nothing from a CDN)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

from accounts.access import account_user_required

from .problems import TYPE_PREFIX

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)  # code, description, media types


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    schema = _resolve(schema, components)
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"] if value not in ("", None))
    kind = schema.get("type", "object")
    if kind == "array":
        return f"[{_type(schema.get('items', {}), components)}]"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _fields(schema: dict[str, Any], components: dict[str, Any], prefix: str = "") -> list[Field]:
    schema = _resolve(schema, components)
    required = set(schema.get("required", []))
    found = []
    for name, spec in schema.get("properties", {}).items():
        resolved = _resolve(spec, components)
        found.append(
            Field(prefix + name, _type(spec, components), name in required, resolved.get("description", ""))
        )
        if resolved.get("type", "object") == "object" and "properties" in resolved:
            found += _fields(resolved, components, prefix=f"{prefix}{name}.")
    return found


def operations(schema: dict[str, Any]) -> list[Operation]:
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            operation = Operation(method.upper(), path, spec.get("summary", ""), spec.get("description", ""))
            for parameter in spec.get("parameters", []):
                operation.parameters.append(
                    Field(
                        f"{parameter['name']} ({parameter['in']})",
                        _type(parameter.get("schema", {}), components),
                        parameter.get("required", False),
                        parameter.get("description", ""),
                    )
                )
            content = spec.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                operation.body = _fields(content["application/json"].get("schema", {}), components)
            for code, answer in spec.get("responses", {}).items():
                operation.responses.append(
                    (code, answer.get("description", ""), ", ".join(answer.get("content", {})))
                )
            found.append(operation)
    return found


@account_user_required
def reference(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(
        request,
        "api/reference.html",
        {"schema": schema, "operations": operations(schema), "problem_prefix": TYPE_PREFIX},
    )
