"""Debian's `pebble` (Let's Encrypt's test ACME CA) on loopback, for the upstream connector tests
(AUTO-4 [beyond]).

Pebble requires External Account Binding (one key id and HMAC key made per run), serves HTTPS with
a throwaway certificate for localhost (trusted by the connector through UPSTREAM_ACME_CA_BUNDLE),
resolves names through a loopback DNS server of the test (`-dnsserver`) and validates http-01 for
real on `http_port`, where the test serves the portal itself. PEBBLE_VA_NOSLEEP skips its random
validation delays; PEBBLE_WFE_NONCEREJECT=0 stops it refusing a share of good nonces.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.support.tls_servers import _key_pem, free_port, self_signed_leaf


def pebble_binary() -> str | None:
    return shutil.which("pebble")


class Pebble:
    """`start()` / `stop()` keep the same ports and keys, so a test can take the CA down and back."""

    def __init__(self, workdir: Path, *, http_port: int, dns_port: int) -> None:
        self.workdir = workdir
        self.dns_port = dns_port
        self.port, self.management_port = free_port(), free_port()
        self.eab_kid = "kid-portal"
        self.eab_hmac = secrets.token_urlsafe(48)  # base64url, as a CA hands it out
        leaf = self_signed_leaf()
        self.tls_cert = workdir / "pebble-tls.pem"
        self.tls_cert.write_text(leaf.pem)
        key = workdir / "pebble-tls.key"
        key.write_bytes(_key_pem(leaf.key))
        self.config = workdir / "pebble.json"
        self.config.write_text(
            json.dumps(
                {
                    "pebble": {
                        "listenAddress": f"127.0.0.1:{self.port}",
                        "managementListenAddress": f"127.0.0.1:{self.management_port}",
                        "certificate": str(self.tls_cert),
                        "privateKey": str(key),
                        "httpPort": http_port,
                        "tlsPort": free_port(),
                        "ocspResponderURL": "",
                        "externalAccountBindingRequired": True,
                        "externalAccountMACKeys": {self.eab_kid: self.eab_hmac},
                    }
                }
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def directory_url(self) -> str:
        return f"https://localhost:{self.port}/dir"

    def start(self) -> None:
        binary = pebble_binary()
        assert binary is not None, "pebble is installed (make system-test)"
        log = (self.workdir / "pebble.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "-config", str(self.config), "-dnsserver", f"127.0.0.1:{self.dns_port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PATH": "/usr/bin:/bin"},
        )
        for _attempt in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("pebble did not start:\n" + (self.workdir / "pebble.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def root_pem(self) -> bytes:
        """Pebble's root for this run, from its management interface (/roots/0)."""
        response = requests.get(
            f"https://localhost:{self.management_port}/roots/0", verify=str(self.tls_cert), timeout=10
        )
        response.raise_for_status()
        return response.content

    def certificate_status(self, serial_hex: str) -> str:
        """ "Valid" or "Revoked": what pebble says of one of its certificates."""
        response = requests.get(
            f"https://localhost:{self.management_port}/cert-status-by-serial/{serial_hex}",
            verify=str(self.tls_cert),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["Status"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class PortalHttp:
    """The portal's own WSGI application on a loopback port: where pebble's http-01 requests for
    the order's names land (the names resolve to 127.0.0.1), as they would through a customer's
    redirect to the portal."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = ThreadedWSGIServer(("127.0.0.1", self.port), _QuietHandler, allow_reuse_address=True)
        self.server.set_app(WSGIHandler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> PortalHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
