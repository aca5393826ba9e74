"""Test the installation of a certificate on a server (LIFE-4): green, orange or red, with reasons.

- green: the server sends a trusted, complete chain whose certificate covers the name, is in its
  validity period for more than 30 days, and (when given) is the expected certificate;
- orange: valid with warnings: an intermediate certificate is missing but the chain can be
  completed from the intermediates we know (browsers that fetch it work, others fail); the
  certificate expires within 30 days; the server sends another valid certificate than this one;
- red: expired or not yet valid, a name it does not cover, self-signed or untrusted, revoked,
  or the server could not be reached or completed no TLS handshake.

The chain is verified with cryptography's verifier (RFC 5280 path validation with the CA/Browser
Forum's profile) against the roots of our embedded CA's brands and the system's trust store.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import DNSName, IPAddress, PolicyBuilder, Store, VerificationError
from django.utils import timezone

from . import network, probe, reasons
from .reasons import Reason, result_of, sort_reasons

if TYPE_CHECKING:
    from orders.models import Certificate

EXPIRY_WARNING = timedelta(days=30)
MAX_CHAIN = 6


@dataclass
class InstallationReport:
    """What `test_installation` found: the result, the reasons (worst first) and the details shown."""

    host: str
    port: int
    starttls: str
    result: str
    reasons: list[Reason]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons_json(self) -> list[dict[str, Any]]:
        return [reason.as_json() for reason in self.reasons]


# Trust store ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def system_roots() -> tuple[x509.Certificate, ...]:
    """The operating system's trusted roots (SSL_CERT_FILE or the distribution's bundle)."""
    context = ssl.create_default_context()
    roots = []
    for der in context.get_ca_certs(binary_form=True):
        with warnings.catch_warnings():
            # A few old roots have a non-positive serial; cryptography still reads them, and warns.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            try:
                roots.append(x509.load_der_x509_certificate(der))
            except ValueError:
                continue  # a root cryptography cannot parse cannot anchor a chain it verifies either
    return tuple(roots)


def embedded_authorities() -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(roots, intermediates) of the embedded CA, every brand: global data, not an account's."""
    from orders.models import CertificateAuthority

    roots: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for kind, pem in CertificateAuthority.objects.values_list("kind", "certificate_pem"):
        cert = x509.load_pem_x509_certificate(pem.encode())
        (roots if kind == CertificateAuthority.Kind.ROOT else intermediates).append(cert)
    return roots, intermediates


# Judgement --------------------------------------------------------------------------------------


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _when(moment: datetime) -> str:
    return moment.strftime(reasons.STORED_MOMENT)


def certificate_names(cert: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses of the subjectAltName (RFC 5280 4.2.1.6)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        *san.get_values_for_type(x509.DNSName),
        *(str(ip) for ip in san.get_values_for_type(x509.IPAddress)),
    ]


def name_matches(name: str, cert: x509.Certificate) -> bool:
    """RFC 6125 6.4: the name against the SAN only (CA/B BR 7.1.4.3: the CN repeats a SAN); a
    wildcard stands for exactly one whole left-most label."""
    name = name.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    for candidate in certificate_names(cert):
        candidate = candidate.lower().rstrip(".")
        if ip is not None:
            if candidate == str(ip):
                return True
        elif candidate == name:
            return True
        elif candidate.startswith("*.") and "." in name:
            label, _, rest = name.partition(".")
            if label and rest == candidate[2:]:
                return True
    return False


def _subject(name: str) -> IPAddress | DNSName:
    try:
        return IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return DNSName(name)


def _verify(
    leaf: x509.Certificate, intermediates: list[x509.Certificate], store: Store, name: str, now: datetime
) -> list[x509.Certificate] | str:
    """The verified chain (leaf first, root last), or the verifier's reason for refusing it."""
    try:
        verifier = (
            PolicyBuilder()
            .store(store)
            .time(now)
            .max_chain_depth(MAX_CHAIN)
            .build_server_verifier(_subject(name))
        )
        return verifier.verify(leaf, intermediates)
    except (VerificationError, ValueError) as exc:
        # "validation failed: required EKU not found (encountered processing <Certificate(...)>)"
        text = re.sub(r"\s*\(encountered processing .*\)$", "", str(exc), flags=re.DOTALL)
        return text.removeprefix("validation failed: ") or exc.__class__.__name__


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _path_to_root(
    cert: x509.Certificate, pool: list[x509.Certificate], roots: Sequence[x509.Certificate], depth: int = 0
) -> list[x509.Certificate] | None:
    """A chain of signatures up to a trusted root, whatever the dates and names: tells an untrusted
    chain from a trusted one that fails for another reason already reported (expiry, name)."""
    if depth > MAX_CHAIN:
        return None
    if _fingerprint(cert) in {_fingerprint(root) for root in roots}:
        return [cert]
    for root in roots:
        if _issued_by(cert, root):
            return [cert, root]
    for candidate in pool:
        if candidate.subject != cert.subject and _issued_by(cert, candidate):
            rest = _path_to_root(candidate, pool, roots, depth + 1)
            if rest is not None:
                return [cert, *rest]
    return None


def _missing(
    path: list[x509.Certificate], served: list[x509.Certificate], roots: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """Intermediates of the verified path the server did not send (a root need not be sent)."""
    sent = {_fingerprint(c) for c in served}
    anchors = {_fingerprint(r) for r in roots}
    return [c for c in path[1:] if _fingerprint(c) not in sent and _fingerprint(c) not in anchors]


def _dates(leaf: x509.Certificate, now: datetime) -> Reason:
    if now > leaf.not_valid_after_utc:
        return reasons.error("expired", date=_when(leaf.not_valid_after_utc))
    if now < leaf.not_valid_before_utc:
        return reasons.error("not_yet_valid", date=_when(leaf.not_valid_before_utc))
    left = leaf.not_valid_after_utc - now
    if left < EXPIRY_WARNING:
        return reasons.warning("expires_soon", days=left.days, date=_when(leaf.not_valid_after_utc))
    return reasons.passed("dates_ok", date=_when(leaf.not_valid_after_utc))


def _trust(
    leaf: x509.Certificate,
    served: list[x509.Certificate],
    name: str,
    now: datetime,
    roots: Sequence[x509.Certificate],
    known: list[x509.Certificate],
) -> list[Reason]:
    store = Store(list(roots)) if roots else None  # no root at all: nothing can be trusted
    verified = _verify(leaf, served, store, name, now) if store else "no trusted root"
    if not isinstance(verified, str):
        return [reasons.passed("trusted", root=_cn(verified[-1].subject))]
    completed = _verify(leaf, [*served, *known], store, name, now) if store else verified
    if not isinstance(completed, str):
        missing = _missing(completed, [leaf, *served], roots)
        return [
            _intermediate_missing(missing),
            reasons.passed("trusted_completed", root=_cn(completed[-1].subject)),
        ]
    # The verifier refused the chain: say why in our words.
    path = _path_to_root(leaf, [*served, *known], roots)
    if path is None:
        if _issued_by(leaf, leaf):
            return [reasons.error("self_signed")]
        return [reasons.error("untrusted", issuer=_cn(leaf.issuer))]
    missing = _missing(path, [leaf, *served], roots)
    found = [_intermediate_missing(missing)] if missing else []
    return [*found, reasons.error("chain_invalid", error=verified)]


def _intermediate_missing(missing: list[x509.Certificate]) -> Reason:
    return reasons.warning("intermediate_missing", missing=", ".join(_cn(c.subject) for c in missing))


def judge(
    chain: list[x509.Certificate],
    name: str,
    *,
    expected: Certificate | None = None,
    now: datetime | None = None,
    roots: list[x509.Certificate] | None = None,
    intermediates: list[x509.Certificate] | None = None,
) -> list[Reason]:
    """LIFE-4: the reasons, worst first, for a chain as served (leaf first) to a client asking for
    `name`. `roots` and `intermediates` default to the embedded CA's plus the system's roots."""
    now = now or timezone.now()
    if roots is None or intermediates is None:
        embedded_roots, embedded_intermediates = embedded_authorities()
        roots = roots if roots is not None else [*embedded_roots, *system_roots()]
        intermediates = intermediates if intermediates is not None else embedded_intermediates
    leaf, served = chain[0], chain[1:]
    found = [_dates(leaf, now)]
    if name_matches(name, leaf):
        found.append(reasons.passed("name_ok", name=name))
        check_name = name
    else:
        found.append(reasons.error("wrong_name", name=name, names=", ".join(certificate_names(leaf)) or "—"))
        # The trust is judged apart from the name, with one the certificate does cover.
        check_name = next((n.replace("*", "www", 1) for n in certificate_names(leaf)), name)
    trust = _trust(leaf, served, check_name, now, roots, intermediates)
    # A chain refused only for the dates or the name already reported is no separate defect.
    date_or_name_error = any(r.level == reasons.ERROR for r in found)
    found += [r for r in trust if not (r.code == "chain_invalid" and date_or_name_error)]
    if expected is not None:
        found += _expected(leaf, expected)
    return sort_reasons(found)


def _expected(leaf: x509.Certificate, expected: Certificate) -> list[Reason]:
    if _fingerprint(leaf) != expected.fingerprint_sha256.lower():
        return [
            reasons.warning("other_certificate", serial=f"{leaf.serial_number:x}", expected=expected.serial)
        ]
    if expected.revoked_at is not None:
        return [reasons.error("revoked", date=_when(expected.revoked_at))]
    return [reasons.passed("expected_ok")]


def describe(served: probe.Served) -> dict[str, Any]:
    """The details the page shows: the served certificate, the chain as sent, protocol and cipher."""
    leaf = served.chain[0]
    return {
        "address": served.address,
        "protocol": served.protocol,
        "cipher": served.cipher,
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "serial": f"{leaf.serial_number:x}",
        "not_before": _when(leaf.not_valid_before_utc),
        "not_after": _when(leaf.not_valid_after_utc),
        "names": certificate_names(leaf),
        "fingerprint_sha256": _fingerprint(leaf),
        "chain": [{"subject": _cn(c.subject), "issuer": _cn(c.issuer)} for c in served.chain],
    }


def ascii_host(host: str) -> str:
    """The host as sent on the wire: lower case, no final dot, IDNA A-labels (raises UnicodeError)."""
    host = host.strip().lower().rstrip(".")
    return host.encode("idna").decode("ascii") if not host.isascii() else host


def test_installation(
    host: str,
    port: int = 443,
    *,
    starttls: str | None = None,
    server_name: str | None = None,
    expected: Certificate | None = None,
    now: datetime | None = None,
    timeout: float = 10,
    allow_private: bool | None = None,
) -> InstallationReport:
    """LIFE-4 (ports and StartTLS per MON-2): connect to `host`, fetch the chain it serves for
    `server_name` (default: the host) and judge it. Never raises for a server's fault: a refused
    connection, a timeout or a failed handshake is a red report.

    `allow_private` None reads settings.INSTALLATION_TEST_ALLOW_PRIVATE (network.resolve_target).
    """
    starttls = starttls or ""
    try:
        host = ascii_host(host)
        name = ascii_host(server_name) if server_name else host
    except UnicodeError:
        return _red(host, port, starttls, reasons.error("unresolved", host=host))
    try:
        address = network.resolve_target(host, port, allow_private=allow_private)[0]
        served = probe.fetch(address, port, server_name=name, starttls=starttls or None, timeout=timeout)
    except (network.TargetRefused, probe.ProbeFailed) as exc:
        return _red(host, port, starttls, exc.reason)
    found = judge(served.chain, name, expected=expected, now=now)
    details = {**describe(served), "server_name": name}
    return InstallationReport(host, port, starttls, result_of(found), found, details)


# A service, not a pytest test, whatever its name (set through __dict__: functions declare no such
# attribute for the type checker).
test_installation.__dict__["__test__"] = False


def _red(host: str, port: int, starttls: str, reason: Reason) -> InstallationReport:
    return InstallationReport(host, port, starttls, result_of([reason]), [reason], {})
