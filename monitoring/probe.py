"""Fetch what a TLS server sends (LIFE-4): its certificate chain as served, protocol and cipher.

Python's ssl module gives only the leaf before 3.13 (`get_unverified_chain`), so the handshake
runs with pyOpenSSL, whose `get_peer_cert_chain` returns every certificate the server sent, in
its order. Nothing is verified here: the client accepts any certificate and the judgement is
made afterwards on the served chain (monitoring.installation), so that a broken installation is
described rather than merely refused.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import time
from dataclasses import dataclass

from cryptography import x509
from OpenSSL import SSL

from . import reasons
from .reasons import Reason
from .starttls import StartTlsRefused, negotiate


class ProbeFailed(Exception):
    """The server could not be reached or did not complete a TLS handshake; `reason` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


@dataclass(frozen=True)
class Served:
    chain: list[x509.Certificate]  # as the server sent it: its own certificate first
    protocol: str
    cipher: str
    address: str


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _wait(sock: socket.socket, deadline: float, *, write: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    readable, writable, _ = select.select([] if write else [sock], [sock] if write else [], [], remaining)
    if not readable and not writable:
        raise TimeoutError


def _context() -> SSL.Context:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)  # judged afterwards, see the module docstring
    return context


def _handshake(sock: socket.socket, server_name: str, deadline: float) -> SSL.Connection:
    connection = SSL.Connection(_context(), sock)
    if not _is_ip(server_name):
        connection.set_tlsext_host_name(server_name.encode("ascii"))  # SNI carries no IP (RFC 6066 3)
    connection.set_connect_state()
    sock.setblocking(False)  # the deadline is kept by _wait
    while True:
        try:
            connection.do_handshake()
            return connection
        except SSL.WantReadError:
            _wait(sock, deadline, write=False)
        except SSL.WantWriteError:
            _wait(sock, deadline, write=True)


def _error_text(exc: Exception) -> str:
    """A short text for an OpenSSL error: its reason strings, not the whole tuple list."""
    if isinstance(exc, SSL.SysCallError):
        return "connection closed by the server" if exc.args and exc.args[0] in (-1, 0) else str(exc.args[-1])
    if isinstance(exc, SSL.ZeroReturnError):
        return "connection closed by the server"
    parts = [
        item[-1]
        for item in (exc.args[0] if exc.args and isinstance(exc.args[0], list) else [])
        if isinstance(item, tuple)
    ]
    return ", ".join(parts) or str(exc) or exc.__class__.__name__


def fetch(address: str, port: int, *, server_name: str, starttls: str | None, timeout: float) -> Served:
    """Connect to `address` (already resolved and allowed), speak `starttls` if any, complete a TLS
    handshake with SNI `server_name`, and return what the server sent. Raises ProbeFailed."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ProbeFailed(reasons.error("connection_refused", address=address, port=port)) from None
    except TimeoutError:
        raise ProbeFailed(reasons.error("timeout", seconds=timeout)) from None
    except OSError as exc:
        raise ProbeFailed(
            reasons.error("connection_failed", address=address, port=port, error=exc.strerror or str(exc))
        ) from None
    try:
        if starttls:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            negotiate(starttls, sock, server_name)
        connection = _handshake(sock, server_name, deadline)
        chain = connection.get_peer_cert_chain(as_cryptography=True) or []
        served = Served(
            chain=list(chain),
            protocol=connection.get_protocol_version_name() or "",
            cipher=connection.get_cipher_name() or "",
            address=address,
        )
        with contextlib.suppress(SSL.Error):  # the server may be gone already; we have what we came for
            connection.shutdown()
    except TimeoutError:
        raise ProbeFailed(reasons.error("timeout", seconds=timeout)) from None
    except StartTlsRefused as exc:
        raise ProbeFailed(
            reasons.error("starttls_failed", protocol=exc.protocol, answer=exc.answer)
        ) from None
    except SSL.Error as exc:
        raise ProbeFailed(reasons.error("handshake_failed", error=_error_text(exc))) from None
    except OSError as exc:
        raise ProbeFailed(
            reasons.error("connection_failed", address=address, port=port, error=exc.strerror or str(exc))
        ) from None
    finally:
        sock.close()
    if not served.chain:
        raise ProbeFailed(reasons.error("no_certificate"))
    return served
