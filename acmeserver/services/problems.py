"""ACME problem documents (RFC 8555 6.7, RFC 7807): every refusal of the protocol is one of these."""

from __future__ import annotations

from typing import Any

PREFIX = "urn:ietf:params:acme:error:"


class AcmeProblem(Exception):
    """Raised by the ACME services and views; the view layer answers it as application/problem+json."""

    def __init__(
        self,
        kind: str,
        detail: str,
        status: int = 400,
        *,
        headers: dict[str, str] | None = None,
        subproblems: list[dict[str, Any]] | None = None,
    ) -> None:
        self.kind, self.detail, self.status = kind, detail, status
        self.headers = headers or {}
        self.subproblems = subproblems or []
        super().__init__(f"{kind}: {detail}")

    def document(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PREFIX + self.kind, "detail": self.detail, "status": self.status}
        if self.subproblems:
            body["subproblems"] = self.subproblems
        return body


def document(kind: str, detail: str, status: int = 400) -> dict[str, Any]:
    return AcmeProblem(kind, detail, status).document()
