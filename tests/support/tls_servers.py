"""Real TLS servers on loopback for the monitoring tests (MON-3): a throwaway PKI (root CA,
intermediate CA, leaves, made the way sslyze 6 accepts them) and one nginx serving several
configurations on their own ports: good chain, missing intermediate, expired certificate, TLS 1.0
enabled, weak cipher suite. Plus an SMTP server with STARTTLS (aiosmtpd)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NAME = "localhost"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class Leaf:
    """A certificate of the embedded CA (so the portal's installation test trusts it) and its key."""

    pem: str
    key: object
    intermediate_pem: str
    issued: object


def issue(
    product, *, rsa_key: bool = False, not_before: datetime | None = None, not_after: datetime | None = None
) -> Leaf:
    from orders.ca import get_connector
    from orders.ca.embedded import ca_certificate
    from tests.factories import make_csr, make_key

    key = make_key("rsa2048" if rsa_key else "p256")
    issued = get_connector(product.brand).issue(
        product=product,
        csr_pem=make_csr(NAME, key=key),
        common_name=NAME,
        names=[NAME],
        now=not_before,
        not_after=not_after,
    )
    assert issued.issuer is not None  # the embedded CA's
    return Leaf(issued.pem, key, _pem(ca_certificate(issued.issuer)).decode(), issued)


# Each configuration: (label, leaf label, full chain?, ssl_protocols, ssl_ciphers)
SITES = (
    ("good", "good", True, "TLSv1.2 TLSv1.3", "ECDHE+AESGCM:ECDHE+CHACHA20"),
    ("no_intermediate", "good", False, "TLSv1.2 TLSv1.3", "ECDHE+AESGCM:ECDHE+CHACHA20"),
    ("expired", "expired", True, "TLSv1.2 TLSv1.3", "ECDHE+AESGCM:ECDHE+CHACHA20"),
    ("tls10", "good", True, "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "ECDHE+AESGCM:ECDHE+AES:@SECLEVEL=0"),
    ("weak_cipher", "rsa", True, "TLSv1.2", "AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0"),
)


@dataclass
class NginxSites:
    leaves: dict[str, Leaf]
    ports: dict[str, int]
    ca_file: Path
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def self_signed_leaf(rsa_key: bool = False) -> Leaf:
    """A self-signed leaf for benches that need no database (no embedded CA)."""
    now = datetime.now(UTC)
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(NAME))
        .issuer_name(_name(NAME))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Leaf(_pem(cert).decode(), key, "", None)


def start_nginx(workdir: Path, product, leaves: dict[str, Leaf] | None = None) -> NginxSites:
    """nginx under `workdir` with one server block per SITES entry, each on a free loopback port."""
    now = datetime.now(UTC)
    leaves = leaves or {
        "good": issue(product),
        "expired": issue(product, not_before=now - timedelta(days=100), not_after=now - timedelta(days=2)),
        "rsa": issue(product, rsa_key=True),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    ca_file = workdir / "root.pem"
    ca_file.write_text(leaves["good"].intermediate_pem)
    servers, ports = [], {}
    for label, leaf, full, protocols, ciphers in SITES:
        chosen = leaves[leaf]
        chain = chosen.pem + (chosen.intermediate_pem if full else "")
        (workdir / f"{label}.crt").write_text(chain)
        (workdir / f"{label}.key").write_bytes(_key_pem(chosen.key))
        port = ports[label] = free_port()
        servers.append(f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {NAME};
        ssl_certificate {workdir}/{label}.crt;
        ssl_certificate_key {workdir}/{label}.key;
        ssl_protocols {protocols};
        ssl_ciphers {ciphers};
        ssl_prefer_server_ciphers on;
        {'add_header Strict-Transport-Security "max-age=31536000" always;' if label == "good" else ""}
        location / {{ return 200 "ok"; }}
    }}""")
    user = "user root;\n" if os.geteuid() == 0 else ""
    (workdir / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/tmp_body;
    proxy_temp_path {workdir}/tmp_proxy;
    fastcgi_temp_path {workdir}/tmp_fastcgi;
    uwsgi_temp_path {workdir}/tmp_uwsgi;
    scgi_temp_path {workdir}/tmp_scgi;
    {"".join(servers)}
}}
""")
    binary = nginx_binary()
    assert binary is not None, "nginx is installed (make system-test)"
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(workdir),
            "-e",
            str(workdir / "error.log"),
            "-c",
            str(workdir / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {_output(process)} {(workdir / 'error.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", ports["good"]), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    return NginxSites(leaves, ports, ca_file, process)


class SmtpStartTls:
    """An SMTP server (aiosmtpd) on loopback that requires STARTTLS, presenting `leaf` with its chain."""

    def __init__(self, workdir: Path, leaf: Leaf):
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink

        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "smtp.crt").write_text(leaf.pem + leaf.intermediate_pem)
        (workdir / "smtp.key").write_bytes(_key_pem(leaf.key))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(workdir / "smtp.crt", workdir / "smtp.key")
        self.port = free_port()
        self.controller = Controller(
            Sink(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            server_hostname=NAME,
        )

    def __enter__(self) -> SmtpStartTls:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def _output(process: subprocess.Popen[bytes]) -> str:
    """What a process started with stdout=PIPE wrote."""
    return process.stdout.read().decode() if process.stdout is not None else ""
