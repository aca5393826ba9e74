"""Real ACME clients against the portal (AUTO-2): Debian's `lego` and `certbot` register with
EAB, obtain a certificate by http-01 and by dns-01, renew and revoke; the certificate verifies
against the portal's chain with `openssl verify`.

The portal runs as the live server behind a loopback nginx TLS proxy (a throwaway certificate for
localhost, trusted by the clients through LEGO_CA_CERTIFICATES and REQUESTS_CA_BUNDLE), so the
clients speak HTTPS as they would to a real portal; the names resolve through a loopback DNS server the test
controls (the DCV resolver setting points at it), and the portal's http-01 check goes to a
loopback port (DCV_HTTP_PORT): lego's own --http server, or a server of certbot's webroot.
dns-01 records are written into that DNS server by lego's `httpreq` provider and certbot's
manual hook, both posting to a small control server of the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from django_scopes import scopes_disabled

from accounts.models import Account
from orders.models import Certificate, Order
from tests import factories
from tests.support.acme import dv_product, make_endpoint
from tests.support.dcv import DnsServer, use_peers
from tests.support.tls_servers import _key_pem, free_port, nginx_binary, self_signed_leaf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("lego") and shutil.which("certbot")), reason="lego and certbot (Debian)"
    ),
]


class _Control(BaseHTTPRequestHandler):
    """lego's httpreq provider (POST /present, /cleanup {"fqdn", "value"}) and certbot's hook."""

    def do_POST(self):  # noqa: N802
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = data["fqdn"].rstrip(".").lower()
        if self.path == "/present":
            self.server.dns.add(name, "TXT", f'"{data["value"]}"')
        else:
            self.server.dns.records.pop((name, "TXT"), None)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def dns_server():
    with DnsServer() as server:
        yield server


@pytest.fixture
def control(dns_server):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Control)
    server.dns = dns_server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_port(settings, dns_server):
    """The loopback port the portal's http-01 check connects to."""
    port = free_port()
    use_peers(settings, dns_server)
    settings.DCV_HTTP_PORT = port
    settings.DCV_HTTP_TIMEOUT = 3
    settings.ACME_RETRY_AFTER = 1
    return port


@pytest.fixture
def endpoint(db):
    account = factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)
    boss = factories.make_user(account, "boss", superuser=True)
    return make_endpoint(account, boss, dv_product())


@pytest.fixture
def portal(live_server, settings, tmp_path_factory):
    """https://localhost:<port>: nginx terminating TLS in front of the live server."""
    binary = nginx_binary()
    assert binary is not None, "nginx is installed (make system-test)"
    work = tmp_path_factory.mktemp("tls")
    leaf = self_signed_leaf()
    (work / "portal.crt").write_text(leaf.pem)
    (work / "portal.key").write_bytes(_key_pem(leaf.key))
    port, upstream = free_port(), live_server.url.rsplit(":", 1)[1]
    user = "user root;\n" if os.geteuid() == 0 else ""
    (work / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {work}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp_body;
    proxy_temp_path {work}/tmp_proxy;
    fastcgi_temp_path {work}/tmp_fastcgi;
    uwsgi_temp_path {work}/tmp_uwsgi;
    scgi_temp_path {work}/tmp_scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {work}/portal.crt;
        ssl_certificate_key {work}/portal.key;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
""")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(work),
            "-e",
            str(work / "error.log"),
            "-c",
            str(work / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _attempt in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    os.environ["LEGO_CA_CERTIFICATES"] = os.environ["REQUESTS_CA_BUNDLE"] = str(work / "portal.crt")
    yield f"https://localhost:{port}"
    os.environ.pop("LEGO_CA_CERTIFICATES", None)
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    process.terminate()
    process.wait(timeout=10)


def directory(portal: str, endpoint) -> str:
    return f"{portal}/acme/{endpoint.public_id}/directory"


def run(args: list[str], *, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})}, cwd=cwd
    )
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def verify_with_portal_chain(cert_pem: bytes, name: str, tmp_path: Path) -> x509.Certificate:
    """`openssl verify` of the leaf against the portal's root, with the intermediate as untrusted."""
    with scopes_disabled():
        leaf = x509.load_pem_x509_certificates(cert_pem)[0]
        stored = Certificate.objects.get(serial=f"{leaf.serial_number:x}")
        from orders.ca import get_connector

        chain = get_connector(stored.order.product.brand).chain(stored)
    root = tmp_path / "root.pem"
    root.write_bytes(chain[-1].public_bytes(encoding=_pem()))
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_bytes(b"".join(c.public_bytes(encoding=_pem()) for c in chain[:-1]))
    leaf_file = tmp_path / "leaf.pem"
    leaf_file.write_bytes(cert_pem)
    run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(root),
            "-untrusted",
            str(untrusted),
            "-verify_hostname",
            name,
            str(leaf_file),
        ]
    )
    return leaf


def _pem():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


def assert_acme_order(name: str, count: int = 1) -> None:
    with scopes_disabled():
        orders = Order.objects.filter(common_name=name)
        assert orders.count() == count
        assert all(o.reference.startswith("ACME-") for o in orders)


def revoked(leaf: x509.Certificate) -> bool:
    with scopes_disabled():
        return Certificate.objects.get(serial=f"{leaf.serial_number:x}").state == Certificate.State.REVOKED


# lego ---------------------------------------------------------------------------------------------


def lego(portal, endpoint, key, path: Path, *args: str, env: dict | None = None):
    return run(
        [
            "lego",
            "--server", directory(portal, endpoint),
            "--accept-tos",
            "--email", "ops@initech.test",
            "--eab", "--kid", endpoint.eab_key_id, "--hmac", key,
            "--path", str(path),
            "--key-type", "rsa2048",
            *args,
        ],
        env=env,
    )  # fmt: skip


def test_lego_http01_obtain_renew_revoke(portal, endpoint, dns_server, http_port, tmp_path):
    endpoint, key = endpoint
    name = "www.lego-http.test"
    dns_server.add(name, "A", "127.0.0.1")
    common = ["--domains", name, "--http", "--http.port", f"127.0.0.1:{http_port}"]
    lego(portal, endpoint, key, tmp_path, *common, "run")
    cert = (tmp_path / "certificates" / f"{name}.crt").read_bytes()
    first = verify_with_portal_chain(cert, name, tmp_path)
    assert_acme_order(name)
    # lego 4.9.1 has no ARI: a plain renewal, forced by a threshold longer than the certificate.
    lego(portal, endpoint, key, tmp_path, *common, "renew", "--days", "800", "--no-random-sleep")
    renewed = verify_with_portal_chain(
        (tmp_path / "certificates" / f"{name}.crt").read_bytes(), name, tmp_path
    )
    assert renewed.serial_number != first.serial_number
    assert_acme_order(name, 2)
    lego(portal, endpoint, key, tmp_path, *common, "revoke", "--reason", "4")
    assert revoked(renewed)


def test_lego_dns01_wildcard(portal, endpoint, dns_server, http_port, control, tmp_path):
    endpoint, key = endpoint
    from catalog.models import Product

    Product.objects.filter(pk=endpoint.product_id).update(wildcard=True)
    name = "*.lego-dns.test"
    lego(
        portal, endpoint, key, tmp_path,
        "--domains", name, "--dns", "httpreq", "--dns.disable-cp",
        "--dns.resolvers", f"127.0.0.1:{dns_server.port}", "run",
        env={"HTTPREQ_ENDPOINT": control, "HTTPREQ_PROPAGATION_TIMEOUT": "5", "HTTPREQ_POLLING_INTERVAL": "1"},
    )  # fmt: skip
    cert = (tmp_path / "certificates" / "_.lego-dns.test.crt").read_bytes()
    verify_with_portal_chain(cert, "x.lego-dns.test", tmp_path)
    assert_acme_order(name)


# certbot ------------------------------------------------------------------------------------------


@pytest.fixture
def webroot(tmp_path, http_port):
    root = tmp_path / "webroot"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def certbot(tmp_path: Path, *args: str):
    dirs = [
        "--config-dir",
        str(tmp_path / "cb"),
        "--work-dir",
        str(tmp_path / "cb"),
        "--logs-dir",
        str(tmp_path / "cb"),
    ]
    return run(["certbot", *args, *dirs, "--non-interactive"])


def test_certbot_http01_obtain_renew_revoke(portal, endpoint, dns_server, webroot, tmp_path):
    endpoint, key = endpoint
    name = "www.certbot-http.test"
    dns_server.add(name, "A", "127.0.0.1")
    certbot(
        tmp_path, "certonly", "--server", directory(portal, endpoint),
        "--eab-kid", endpoint.eab_key_id, "--eab-hmac-key", key,
        "--agree-tos", "--email", "ops@initech.test", "--no-eff-email",
        "--webroot", "-w", str(webroot), "-d", name,
    )  # fmt: skip
    live = tmp_path / "cb" / "live" / name
    first = verify_with_portal_chain((live / "cert.pem").read_bytes(), name, tmp_path)
    assert (live / "fullchain.pem").read_bytes().count(b"BEGIN CERTIFICATE") >= 2
    assert_acme_order(name)
    # certbot 2.1.0 has no ARI; not from a terminal it would sleep up to 8 minutes first.
    certbot(tmp_path, "renew", "--force-renewal", "--no-random-sleep-on-renew")
    renewed = verify_with_portal_chain((live / "cert.pem").read_bytes(), name, tmp_path)
    assert renewed.serial_number != first.serial_number
    certbot(
        tmp_path, "revoke", "--server", directory(portal, endpoint),
        "--cert-path", str(live / "cert.pem"), "--reason", "superseded", "--no-delete-after-revoke",
    )  # fmt: skip
    assert revoked(renewed)


HOOK = """import json, os, sys, urllib.request
body = json.dumps({"fqdn": "_acme-challenge." + os.environ["CERTBOT_DOMAIN"], "value": os.environ["CERTBOT_VALIDATION"]})
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2], body.encode(), {"Content-Type": "application/json"}))
"""


def test_certbot_dns01_manual_hook(portal, endpoint, dns_server, http_port, control, tmp_path):
    endpoint, key = endpoint
    name = "www.certbot-dns.test"
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    certbot(
        tmp_path, "certonly", "--server", directory(portal, endpoint),
        "--eab-kid", endpoint.eab_key_id, "--eab-hmac-key", key,
        "--agree-tos", "--email", "ops@initech.test", "--no-eff-email",
        "--manual", "--preferred-challenges", "dns",
        "--manual-auth-hook", f"{sys.executable} {hook} {control} /present",
        "--manual-cleanup-hook", f"{sys.executable} {hook} {control} /cleanup",
        "-d", name,
    )  # fmt: skip
    verify_with_portal_chain((tmp_path / "cb" / "live" / name / "cert.pem").read_bytes(), name, tmp_path)
    assert_acme_order(name)
