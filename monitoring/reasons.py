"""What an installation test found (LIFE-4), as codes with parameters and a translatable sentence each.

Reasons are stored as codes and parameters (InstallationCheck.reasons), so a result tested in one
language reads in another later. The level of the worst reason gives the result: an error makes
it red, a warning orange, and only passed checks green.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.formatting import date_text

STORED_MOMENT = "%Y-%m-%d %H:%M UTC"  # how a date parameter is stored (installation._when)

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
    # Protocols, cipher suites and known vulnerabilities (MON-3, from sslyze).
    "scanner_failed": _("The protocol scan could not complete: %(error)s."),
    "protocol_ssl": _("The server accepts %(protocol)s, which is broken: disable it."),
    "protocol_legacy": _("The server accepts %(protocols)s, deprecated since 2021 (RFC 8996): disable them."),
    "protocols_ok": _("Protocols offered: %(protocols)s."),
    "no_tls13": _("The server does not offer TLS 1.3."),
    "cipher_insecure": _("Insecure cipher suites are accepted: %(ciphers)s."),
    "cipher_no_forward_secrecy": _("Cipher suites without forward secrecy are accepted: %(ciphers)s."),
    "ciphers_ok": _("Every accepted cipher suite has forward secrecy and a strong cipher."),
    "heartbleed": _("The server is vulnerable to Heartbleed (CVE-2014-0160): update OpenSSL now."),
    "ccs_injection": _("The server is vulnerable to the OpenSSL CCS injection (CVE-2014-0224)."),
    "robot": _("The server is vulnerable to ROBOT (RSA padding oracle): disable RSA key exchange."),
    "insecure_renegotiation": _("The server does not support secure renegotiation (RFC 5746)."),
    "client_renegotiation": _(
        "The server accepts client-initiated renegotiation (a denial-of-service risk)."
    ),
    "compression": _("TLS compression is enabled (CRIME attack): disable it."),
    "vulnerabilities_ok": _(
        "No known vulnerability found (Heartbleed, ROBOT, CCS injection, renegotiation, compression)."
    ),
    "no_ocsp_stapling": _("The server does not staple an OCSP response."),
    "ocsp_stapling_ok": _("The server staples an OCSP response."),
    "no_hsts": _("No HSTS header (Strict-Transport-Security) on HTTPS."),
    "hsts_short": _("The HSTS header lasts %(days)s days: 180 days or more is recommended."),
    "hsts_ok": _("HSTS is on for %(days)s days."),
}


@dataclass(frozen=True)
class Reason:
    code: str
    level: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The sentence in the active language, its date in that language's format (issue 8
        point 13: "4 Dec 2026" / "04/12/2026", as pages and emails print a day)."""
        params = self.params
        if "date" in params:
            params = {**params, "date": _readable_day(params["date"])}
        return str(MESSAGES[self.code]) % params

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


def _readable_day(value: Any) -> Any:
    """A stored moment ("2026-12-04 10:00 UTC") as the active language writes the day."""
    try:
        moment = datetime.strptime(str(value), STORED_MOMENT).replace(tzinfo=UTC)
    except ValueError:
        return value
    return date_text(moment)


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
