"""Real peers for the DCV tests, on loopback (no test here): a tiny authoritative DNS server built
with dnspython and an HTTP server serving /.well-known/pki-validation/ files.

Each test module declares its own thin fixtures around these (see test_dcv_checks.py).
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsServer:
    """Answers A/AAAA/TXT/CNAME/CAA from `records` over UDP on 127.0.0.1 and a random port.

    `records[(name, type)]` holds rdata in zone-file text ('"value"' for TXT, 'target.' for CNAME,
    '0 issue "ca.example"' for CAA). A name in `silent` gets no answer (timeouts); in `servfail`,
    SERVFAIL. A name with no record at all, nor below it, is NXDOMAIN. CNAMEs are followed within
    the records, as an authoritative server does for its own zone. `queries` lists what was asked.
    """

    def __init__(self):
        self.records: dict[tuple[str, str], list[str]] = {}
        self.silent: set[str] = set()
        self.servfail: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def add(self, name: str, rdtype: str, *values: str) -> None:
        self.records.setdefault((name.lower().rstrip("."), rdtype.upper()), []).extend(values)

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _exists(self, name: str) -> bool:
        return any(key == name or key.endswith("." + name) for key, _type in self.records)

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if name in self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        current = name
        for _hop in range(8):
            if (current, rdtype) in self.records:
                response.answer.append(
                    dns.rrset.from_text_list(current + ".", 60, "IN", rdtype, self.records[(current, rdtype)])
                )
                break
            if rdtype != "CNAME" and (current, "CNAME") in self.records:
                target = self.records[(current, "CNAME")][0]
                response.answer.append(dns.rrset.from_text_list(current + ".", 60, "IN", "CNAME", [target]))
                current = target.rstrip(".").lower()
                continue
            break
        if not response.answer and not self._exists(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            response = self._answer(dns.message.from_wire(data))
            if response is not None:
                self._sock.sendto(response.to_wire(), peer)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append((self.headers.get("Host", ""), self.path))
        status, body, headers, delay = server.routes.get(self.path, (404, b"not found", {}, 0))
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


class HttpServer:
    """Serves `routes[path] = (status, body, headers, delay)` on 127.0.0.1 and a random port;
    `requests` lists (Host header, path) of what was asked."""

    def __init__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.routes = {}
        self._server.requests = []
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self._server.requests

    def serve(
        self, path: str, body: str | bytes, status: int = 200, headers: dict | None = None, delay: float = 0
    ) -> None:
        self._server.routes[path] = (
            status,
            body.encode() if isinstance(body, str) else body,
            headers or {},
            delay,
        )

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def use_peers(settings, dns_server: DnsServer, http_server: HttpServer | None = None) -> None:
    """Point the portal's DCV settings at the loopback peers, with short timeouts."""
    settings.DCV_DNS_RESOLVER = [f"127.0.0.1:{dns_server.port}"]
    settings.DCV_DNS_TIMEOUT = 0.5
    settings.DCV_HTTP_TIMEOUT = 0.5
    settings.DCV_ALLOW_PRIVATE_ADDRESSES = True
    settings.DCV_CNAME_ZONE = "dcv.portal.test"
    if http_server is not None:
        settings.DCV_HTTP_PORT = http_server.port
