"""ACC-7 through a real nginx (Debian package `nginx`): deploy/nginx/portal-client-cert.conf in front of
the portal (pytest-django's live_server), TLS with `ssl_verify_client optional` against the Portal
login CA, and a Python client presenting its certificate over real TLS.

nginx runs unprivileged paths under tmp_path (`nginx -p <dir> -c <conf> -g 'daemon off;'`) on a
random high port, and connects to the portal from 127.0.0.2 (`proxy_bind`), the only trusted
proxy address of the test; the test client itself talks to the portal from 127.0.0.1, so headers
it sends straight to the portal come from an untrusted address.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from datetime import timedelta
from ipaddress import IPv4Address
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.utils import timezone

from accounts.clientcert import ca, services
from accounts.models import Account, AuditEvent, ClientCertificate
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "portal-client-cert.conf"
PROXY_ADDRESS = "127.0.0.2"
PASSWORD = "Granite-Harbour-Violet-31"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        pytest.fail("nginx is missing: install the Debian package `nginx` (make test does)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _build(
    subject: str, key, issuer_name: x509.Name, issuer_key, *, is_ca: bool, sans=None
) -> x509.Certificate:
    now = timezone.now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Nginx:
    """A running nginx with the shipped server block, and clients to talk to it."""

    def __init__(self, base: str, server_ca: Path, workdir: Path, process: subprocess.Popen):
        self.base = base
        self.server_ca = server_ca
        self.workdir = workdir
        self.process = process

    def client(self, cert: x509.Certificate | None = None, key=None, name: str = "client") -> Browser:
        context = ssl.create_default_context(cafile=str(self.server_ca))
        if cert is not None:
            cert_file, key_file = self.workdir / f"{name}.crt", self.workdir / f"{name}.key"
            cert_file.write_bytes(_cert_pem(cert))
            key_file.write_bytes(_key_pem(key))
            context.load_cert_chain(str(cert_file), str(key_file))
        return Browser(self.base, context)


class Browser:
    """urllib with cookies and a TLS context: follows redirects, reads errors as responses."""

    def __init__(self, base: str, context: ssl.SSLContext | None):
        self.base = base
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        ]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def open(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, str]:
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, urlsplit(response.url).path, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, urlsplit(error.url).path, error.read().decode()

    def post_form(self, page: str, action: str, data: dict | None = None) -> tuple[int, str, str]:
        """GET `page` for its CSRF token, then POST `action` with it."""
        _status, _path, html = self.open(page)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, html
        token = match.group(1)
        return self.open(action, {"csrfmiddlewaretoken": token, **(data or {})})


@pytest.fixture
def server_pki(tmp_path):
    """A throwaway CA and the server certificate nginx presents for localhost."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TLS CA")])
    ca_cert = _build("Test TLS CA", ca_key, ca_name, ca_key, is_ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _build(
        "localhost",
        server_key,
        ca_name,
        ca_key,
        is_ca=False,
        sans=[x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))],
    )
    paths = {
        "ca": tmp_path / "server-ca.pem",
        "cert": tmp_path / "server.pem",
        "key": tmp_path / "server.key",
    }
    paths["ca"].write_bytes(_cert_pem(ca_cert))
    paths["cert"].write_bytes(_cert_pem(server_cert))
    paths["key"].write_bytes(_key_pem(server_key))
    paths["key"].chmod(0o600)
    return paths


@pytest.fixture
def start_nginx(tmp_path, live_server, settings, server_pki):
    """Start nginx with the shipped server block once the login CA exists (it is made on first
    use, after this test's data): returns a function giving the running Nginx."""
    settings.TRUSTED_PROXIES = [PROXY_ADDRESS]
    settings.ROOT_URLCONF = "tests.support.clientcert"
    binary = nginx_binary()
    processes: list[subprocess.Popen] = []

    def start() -> Nginx:
        workdir = tmp_path / "nginx"
        for folder in ("logs", "tmp"):
            (workdir / folder).mkdir(parents=True, exist_ok=True)
        login_ca = workdir / "login-ca.pem"
        login_ca.write_text(ca.chain_pem())
        port = free_port()
        upstream_port = urlsplit(live_server.url).port
        server_block = TEMPLATE.read_text()
        for name, value in {
            "PORTAL_LISTEN": f"127.0.0.1:{port}",
            "PORTAL_SERVER_NAME": "localhost",
            "PORTAL_TLS_CERT": str(server_pki["cert"]),
            "PORTAL_TLS_KEY": str(server_pki["key"]),
            "PORTAL_LOGIN_CA": str(login_ca),
            "PORTAL_UPSTREAM": f"http://127.0.0.1:{upstream_port}",
        }.items():
            server_block = server_block.replace("${" + name + "}", value)
        assert not re.search(r"\$\{PORTAL_[A-Z_]+\}", server_block)
        (workdir / "portal.conf").write_text(server_block)
        temp = workdir / "tmp"
        # Root (a container) would hand the workers to `nobody`, who cannot enter tmp_path.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (workdir / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {workdir}/logs/access.log;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    proxy_bind {PROXY_ADDRESS};
    include {workdir}/portal.conf;
}}
""")
        # -e: the start-up error log too, or nginx tries /var/log/nginx/ before reading the config.
        process = subprocess.Popen(
            [
                binary,
                "-p",
                str(workdir),
                "-e",
                str(workdir / "logs" / "error.log"),
                "-c",
                str(workdir / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"nginx stopped: {process.stdout.read().decode() if process.stdout else ''}"
                    f"{(workdir / 'logs' / 'error.log').read_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("nginx did not start listening")
        return Nginx(f"https://localhost:{port}", server_pki["ca"], workdir, process)

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def people(transactional_db):
    account = factories.make_account(
        "Cipher Bank", domain="cipher.test", auth_type=Account.AuthType.CERTIFICATE
    )
    admin = factories.make_user(account, "warden", superuser=True)
    clerk = factories.make_user(account, "clerk")
    record, data = services.issue_pkcs12(clerk, PASSWORD, by=admin)
    key, cert, _chain = pkcs12.load_key_and_certificates(data, PASSWORD.encode())
    return {"account": account, "admin": admin, "clerk": clerk, "record": record, "cert": cert, "key": key}


def log_in(browser: Browser) -> tuple[int, str, str]:
    return browser.post_form("/accounts/login/", "/accounts/certificate-login/", {"next": "/me/certificate/"})


def test_login_through_nginx_with_a_client_certificate(start_nginx, people):
    nginx = start_nginx()
    browser = nginx.client(people["cert"], people["key"])

    status, _path, login_page = browser.open("/accounts/login/")
    assert status == 200 and "Log in with my certificate" in login_page

    status, path, page = log_in(browser)

    assert (status, path) == (200, "/me/certificate/")
    assert "My login certificate" in page and people["record"].serial in page
    assert people["clerk"].get_full_name() in page  # the connection bar of the logged-in user
    event = AuditEvent.objects.get(action="login.certificate")
    assert event.user == people["clerk"] and event.ip_address == PROXY_ADDRESS
    assert event.details["fingerprint_sha256"] == people["record"].fingerprint_sha256


def test_no_certificate_is_refused_even_with_forged_headers(start_nginx, people):
    nginx = start_nginx()
    browser = nginx.client()
    status, _path, login_page = browser.open("/accounts/login/")
    assert status == 200 and "Log in with my certificate" not in login_page

    status, _path, page = log_in(browser)
    assert status == 403 and "No client certificate reached the portal" in page

    forged = {
        "X-SSL-Client-Cert": quote(_cert_pem(people["cert"]).decode(), safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
    }
    status, _path, page = browser.open("/accounts/certificate-login/", headers=forged)
    assert status == 403 and people["clerk"].username not in page  # nginx replaced both headers
    assert browser.open("/me/certificate/")[1] == "/accounts/login/"
    assert not AuditEvent.objects.filter(action="login.certificate").exists()


def test_revoked_certificate_after_panic_is_refused(start_nginx, people):
    nginx = start_nginx()
    browser = nginx.client(people["cert"], people["key"])
    assert log_in(browser)[:2] == (200, "/me/certificate/")

    status, path, _page = browser.post_form("/me/certificate/panic/", "/me/certificate/panic/")
    assert (status, path) == (200, "/accounts/login/")
    assert ClientCertificate.objects.get(pk=people["record"].pk).state == ClientCertificate.State.REVOKED

    again = nginx.client(people["cert"], people["key"], name="again")
    status, _path, page = again.open("/accounts/certificate-login/")
    assert status == 403 and "This certificate is revoked." in page
    status, _path, page = log_in(again)
    assert status == 403
    assert again.open("/me/certificate/")[1] == "/accounts/login/"


def test_unknown_self_signed_certificate_is_refused(start_nginx, people):
    nginx = start_nginx()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, people["clerk"].username)])
    forged = _build(people["clerk"].username, key, name, key, is_ca=False)
    browser = nginx.client(forged, key, name="forged")

    status, _path, page = browser.open("/accounts/certificate-login/")

    assert status == 403 and "not accepted by the server" in page
    # nginx answers every page of this connection with the portal's refusal (error_page 495).
    status, _path, page = browser.open("/me/certificate/")
    assert status == 403 and "not accepted by the server" in page and "My login certificate" not in page
    assert not AuditEvent.objects.filter(action="login.certificate").exists()


def test_headers_sent_straight_to_the_portal_are_refused(start_nginx, live_server, people):
    start_nginx()  # the proxy exists, but this client goes around it
    browser = Browser(live_server.url, None)
    forged = {
        "X-SSL-Client-Cert": quote(_cert_pem(people["cert"]).decode(), safe=""),
        "X-SSL-Client-Verify": "SUCCESS",
    }
    status, _path, page = browser.open("/accounts/certificate-login/", headers=forged)
    assert status == 403 and "No client certificate reached the portal" in page
    _status, _path, html = browser.open("/accounts/login/", headers=forged)
    assert "Log in with my certificate" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    request_data = {"csrfmiddlewaretoken": token, "next": "/me/certificate/"}
    status, _path, _page = browser.open("/accounts/certificate-login/", request_data, headers=forged)
    assert status == 403
    assert browser.open("/me/certificate/")[1] == "/accounts/login/"
    assert not AuditEvent.objects.filter(action="login.certificate").exists()
