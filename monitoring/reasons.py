"""What an installation test found (LIFE-4), as codes with parameters and a translatable sentence each.

Reasons are stored as codes and parameters (InstallationCheck.reasons), so a result tested in one
language reads in another later. The level of the worst reason gives the result: an error makes
it red, a warning orange, and only passed checks green.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

OK, WARNING, ERROR = "ok", "warning", "error"
_RANK = {ERROR: 0, WARNING: 1, OK: 2}

MESSAGES = {
    # Reaching the server.
    "unresolved": _("The name %(host)s could not be resolved."),
    "address_refused": _(
        "%(host)s resolves to a private or reserved address (%(address)s), which cannot be "
        "tested from the portal."
    ),
    "port_refused": _(
        "Port %(port)s cannot be tested: use 443, a usual mail, directory or database port, "
        "or a port from 1024 up."
    ),
    "connection_refused": _(
        "The connection to %(address)s port %(port)s was refused: nothing listens there."
    ),
    "timeout": _("The server did not answer within %(seconds)s seconds."),
    "connection_failed": _("The connection to %(address)s port %(port)s failed: %(error)s."),
    "starttls_failed": _("The server did not agree to start TLS (%(protocol)s): %(answer)s"),
    "handshake_failed": _("The TLS handshake failed: %(error)s."),
    "no_certificate": _("The server sent no certificate."),
    # The certificate and its chain.
    "expired": _("The certificate expired on %(date)s."),
    "not_yet_valid": _("The certificate is not valid before %(date)s."),
    "wrong_name": _("The certificate does not cover %(name)s; it covers: %(names)s."),
    "self_signed": _("The certificate is self-signed: browsers and mail clients do not trust it."),
    "untrusted": _("The certificate was not issued by a trusted authority (issuer: %(issuer)s)."),
    "chain_invalid": _("The certificate chain is not valid: %(error)s."),
    "revoked": _("This certificate was revoked on %(date)s: replace it."),
    "intermediate_missing": _(
        "Intermediate certificate missing: the server does not send %(missing)s. "
        "Install the certificate with its full chain."
    ),
    "expires_soon": _("The certificate expires in %(days)s days, on %(date)s: renew it."),
    "other_certificate": _(
        "The server sends another valid certificate (serial %(serial)s) than this one (serial %(expected)s)."
    ),
    # Passed checks.
    "trusted": _("The chain is complete and trusted (root: %(root)s)."),
    "trusted_completed": _("The chain is trusted once completed (root: %(root)s)."),
    "name_ok": _("The certificate covers %(name)s."),
    "dates_ok": _("The certificate is valid until %(date)s."),
    "expected_ok": _("The server sends this certificate."),
}


@dataclass(frozen=True)
class Reason:
    code: str
    level: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The sentence in the active language."""
        return str(MESSAGES[self.code]) % self.params

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, "params": self.params}

    @classmethod
    def from_json_list(cls, items: list[dict[str, Any]]) -> list[Reason]:
        """Stored reasons back as objects, worst first; codes unknown to this version are left out."""
        reasons = [
            cls(item["code"], item["level"], item.get("params") or {})
            for item in items
            if item.get("code") in MESSAGES
        ]
        return sort_reasons(reasons)


def sort_reasons(reasons: list[Reason]) -> list[Reason]:
    return sorted(reasons, key=lambda reason: _RANK[reason.level])


def error(code: str, **params: Any) -> Reason:
    return Reason(code, ERROR, params)


def warning(code: str, **params: Any) -> Reason:
    return Reason(code, WARNING, params)


def passed(code: str, **params: Any) -> Reason:
    return Reason(code, OK, params)


def result_of(reasons: list[Reason]) -> str:
    """LIFE-4: red for any error, orange for any warning, green otherwise (monitoring.models.Result)."""
    levels = {reason.level for reason in reasons}
    if ERROR in levels:
        return "red"
    if WARNING in levels:
        return "orange"
    return "green"
