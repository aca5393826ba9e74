"""MON-3: the protocol, cipher-suite and vulnerability part of a scan, by sslyze.

sslyze pins an older `cryptography` than the portal's, so it lives in its own virtual environment
(`make sslyze`, from monitoring/sslyze-requirements.txt) and is called through its command line
with `--json_out=-`; this adapter reads that JSON and turns it into reasons (codes, as the
installation test's) and grade caps. `settings.SSLYZE_BIN` says where the executable is.

Grades follow SSL Labs' guide in spirit: F for SSL 2/3, Heartbleed, CCS injection, ROBOT or an
invalid certificate; C for insecure ciphers (RC4, 3DES, export, NULL, < 128 bits), missing secure
renegotiation or compression; B for TLS 1.0/1.1, suites without forward secrecy, an incomplete
chain or client renegotiation; A- for other warnings (expiring soon, no TLS 1.3); A otherwise,
A+ with HSTS of at least 180 days.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from . import reasons
from .reasons import Reason

GRADES = ("A+", "A", "A-", "B", "C", "F")
PROTOCOLS = (
    ("ssl_2_0_cipher_suites", "SSL 2.0"),
    ("ssl_3_0_cipher_suites", "SSL 3.0"),
    ("tls_1_0_cipher_suites", "TLS 1.0"),
    ("tls_1_1_cipher_suites", "TLS 1.1"),
    ("tls_1_2_cipher_suites", "TLS 1.2"),
    ("tls_1_3_cipher_suites", "TLS 1.3"),
)
INSECURE_MARKERS = ("RC4", "3DES", "DES_CBC", "EXPORT", "NULL", "ANON", "MD5", "IDEA", "SEED")
HSTS_GOOD_SECONDS = 180 * 86400
STARTTLS = {"smtp", "imap", "pop3", "ftp", "xmpp", "ldap", "postgres"}


@dataclass
class TlsFindings:
    reasons: list[Reason] = field(default_factory=list)
    cap: str = "A"
    hsts_seconds: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def limit(self, grade: str) -> None:
        if GRADES.index(grade) > GRADES.index(self.cap):
            self.cap = grade


def sslyze_options(starttls: str = "", ca_file: str | None = None) -> list[str]:
    """The sslyze command line without its targets (the same scan commands for every target)."""
    command = [
        settings.SSLYZE_BIN,
        "--json_out=-",
        "--sslv2",
        "--sslv3",
        "--tlsv1",
        "--tlsv1_1",
        "--tlsv1_2",
        "--tlsv1_3",
        "--heartbleed",
        "--robot",
        "--openssl_ccs",
        "--reneg",
        "--compression",
        "--certinfo",
    ]
    if ca_file:
        command.append(f"--certinfo_ca_file={ca_file}")
    if starttls:
        if starttls not in STARTTLS:
            raise ValueError(starttls)
        command.append(f"--starttls={starttls}")
    else:
        command.append("--http_headers")
    return command


def sslyze_target(name: str, address: str, port: int) -> str:
    return f"{name}:{port}{{{address}}}"


def sslyze_command(
    name: str, address: str, port: int, starttls: str = "", ca_file: str | None = None
) -> list[str]:
    return [*sslyze_options(starttls, ca_file), sslyze_target(name, address, port)]


Target = tuple[str, str, int]  # (name, address, port)


def run_sslyze(
    name: str, address: str, port: int, starttls: str = "", timeout: float = 180
) -> dict[str, Any]:
    """Scan `name` at `address`:`port` (an address already checked by monitoring.network) and return
    the JSON result of the server. Raises RuntimeError with a short message when the scan fails."""
    outcome = run_sslyze_many([(name, address, port)], starttls, timeout)[(name.lower(), address, port)]
    if isinstance(outcome, RuntimeError):
        raise outcome
    return outcome


def run_sslyze_many(
    targets: list[Target], starttls: str = "", timeout: float = 180
) -> dict[Target, dict[str, Any] | RuntimeError]:
    """Scan several targets (same StartTLS) with ONE sslyze process, keyed (lower-case name, address,
    port). Starting sslyze costs about 2.5 s of CPU (its imports), most of a loopback scan: one
    process for several endpoints is what makes the monitoring throughput (bench/README.md).
    A target the process did not report on maps to a RuntimeError."""
    wanted = list(dict.fromkeys((name.lower(), address, port) for name, address, port in targets))
    command = [
        *sslyze_options(starttls, getattr(settings, "SSLYZE_CA_FILE", None)),
        *(sslyze_target(*target) for target in wanted),
    ]
    budget = timeout + 30 * (len(wanted) - 1)  # sslyze scans its targets concurrently
    failure: RuntimeError | None = None
    servers: list[dict[str, Any]] = []
    try:
        completed = subprocess.run(command, capture_output=True, timeout=budget, check=False)  # noqa: S603
    except FileNotFoundError:
        failure = RuntimeError(f"sslyze is not installed at {settings.SSLYZE_BIN} (make sslyze)")
    except subprocess.TimeoutExpired:
        failure = RuntimeError(f"sslyze did not finish within {budget:.0f} s")
    else:
        try:
            servers = json.loads(completed.stdout.decode() or "{}")["server_scan_results"]
        except (ValueError, KeyError):
            failure = RuntimeError((completed.stderr.decode()[-300:] or "no result").strip())
    results: dict[Target, dict[str, Any] | RuntimeError] = {
        target: failure or RuntimeError("no result") for target in wanted
    }
    for server in servers:
        location = server.get("server_location") or {}
        key = (
            str(location.get("hostname", "")).lower(),
            str(location.get("ip_address", "")),
            location.get("port"),
        )
        if key not in results:
            continue
        if server.get("scan_status") != "COMPLETED":
            trace = (
                server.get("connectivity_error_trace") or server.get("connectivity_status") or ""
            ).strip()
            results[key] = RuntimeError(
                trace.splitlines()[-1][:300] if trace else "the server could not be reached"
            )
        else:
            results[key] = server["scan_result"]
    return results


def _result(scan: dict[str, Any], key: str) -> dict[str, Any] | None:
    part = scan.get(key) or {}
    return part.get("result") if part.get("status") == "COMPLETED" else None


def assess(scan: dict[str, Any], *, https: bool = True) -> TlsFindings:
    """Reasons and the grade cap from one sslyze scan result."""
    found = TlsFindings()
    offered, accepted = [], []
    for key, label in PROTOCOLS:
        result = _result(scan, key)
        if result and result.get("accepted_cipher_suites"):
            offered.append(label)
            accepted += [suite["cipher_suite"] for suite in result["accepted_cipher_suites"]]
    found.details["protocols"] = offered
    for label in ("SSL 2.0", "SSL 3.0"):
        if label in offered:
            found.reasons.append(reasons.error("protocol_ssl", protocol=label))
            found.limit("F")
    legacy = [label for label in ("TLS 1.0", "TLS 1.1") if label in offered]
    if legacy:
        found.reasons.append(reasons.warning("protocol_legacy", protocols=", ".join(legacy)))
        found.limit("B")
    if offered:
        found.reasons.append(reasons.passed("protocols_ok", protocols=", ".join(offered)))
    if offered and "TLS 1.3" not in offered:
        found.reasons.append(reasons.warning("no_tls13"))
        found.limit("A-")
    names = sorted({suite["name"] for suite in accepted})
    found.details["cipher_suites"] = names
    insecure = [n for n in names if any(m in n for m in INSECURE_MARKERS)] + [
        suite["name"] for suite in accepted if 0 < suite.get("key_size", 128) < 128
    ]
    no_fs = [
        n for n in names if n.startswith("TLS_RSA_") or n.startswith("TLS_DH_") or n.startswith("TLS_ECDH_")
    ]
    if insecure:
        found.reasons.append(reasons.error("cipher_insecure", ciphers=", ".join(sorted(set(insecure)))))
        found.limit("C")
    if no_fs:
        found.reasons.append(reasons.warning("cipher_no_forward_secrecy", ciphers=", ".join(no_fs)))
        found.limit("B")
    if names and not insecure and not no_fs:
        found.reasons.append(reasons.passed("ciphers_ok"))
    vulnerable = False
    if (_result(scan, "heartbleed") or {}).get("is_vulnerable_to_heartbleed"):
        found.reasons.append(reasons.error("heartbleed"))
        found.limit("F")
        vulnerable = True
    if (_result(scan, "openssl_ccs_injection") or {}).get("is_vulnerable_to_ccs_injection"):
        found.reasons.append(reasons.error("ccs_injection"))
        found.limit("F")
        vulnerable = True
    robot = (_result(scan, "robot") or {}).get("robot_result", "")
    if robot.startswith("VULNERABLE"):
        found.reasons.append(reasons.error("robot"))
        found.limit("F")
        vulnerable = True
    renegotiation = _result(scan, "session_renegotiation") or {}
    if renegotiation and not renegotiation.get("supports_secure_renegotiation", True):
        found.reasons.append(reasons.error("insecure_renegotiation"))
        found.limit("C")
        vulnerable = True
    if renegotiation.get("is_vulnerable_to_client_renegotiation_dos"):
        found.reasons.append(reasons.warning("client_renegotiation"))
        found.limit("B")
        vulnerable = True
    if (_result(scan, "tls_compression") or {}).get("supports_compression"):
        found.reasons.append(reasons.error("compression"))
        found.limit("C")
        vulnerable = True
    if not vulnerable:
        found.reasons.append(reasons.passed("vulnerabilities_ok"))
    deployments = (_result(scan, "certificate_info") or {}).get("certificate_deployments") or []
    if deployments:
        stapled = deployments[0].get("ocsp_response") is not None
        found.reasons.append(
            reasons.passed("ocsp_stapling_ok") if stapled else reasons.warning("no_ocsp_stapling")
        )
        found.details["ocsp_stapling"] = stapled
    if https:
        headers = _result(scan, "http_headers") or {}
        hsts = headers.get("strict_transport_security_header")
        if hsts and hsts.get("max_age"):
            found.hsts_seconds = int(hsts["max_age"])
            days = found.hsts_seconds // 86400
            found.reasons.append(
                reasons.passed("hsts_ok", days=days)
                if found.hsts_seconds >= HSTS_GOOD_SECONDS
                else reasons.warning("hsts_short", days=days)
            )
        elif headers:
            found.reasons.append(reasons.warning("no_hsts"))
    return found


def grade(installation_result: str, installation_reasons: list[Reason], found: TlsFindings) -> str:
    """The grade from the installation test (chain, names, expiry) and the sslyze findings."""
    cap = found.cap
    if installation_result == "red":
        return "F"
    codes = {reason.code for reason in installation_reasons if reason.level != reasons.OK}
    if "intermediate_missing" in codes:
        cap = max(cap, "B", key=GRADES.index)
    elif codes:
        cap = max(cap, "A-", key=GRADES.index)
    if cap == "A" and found.hsts_seconds is not None and found.hsts_seconds >= HSTS_GOOD_SECONDS:
        return "A+"
    return cap


def status_of(grade_value: str, installation_result: str) -> str:
    """green (A+, A, A-), orange (B, C), red (F or an invalid installation)."""
    if grade_value == "F" or installation_result == "red":
        return "red"
    if grade_value in ("B", "C") or installation_result == "orange":
        return "orange"
    return "green"
