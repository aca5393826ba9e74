"""Where the installation test may connect (LIFE-4): a public address and a TLS port only.

The test connects from inside our network to a host the user types, so without these rules it
would let anyone scan our private networks (server-side request forgery). The host is resolved
once and the test connects to the address that was checked, never resolving the name again (a
second answer could point elsewhere: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

from . import reasons
from .reasons import Reason

# The usual TLS ports (HTTPS, SMTP submission and SMTPS, IMAPS, POP3S, LDAPS, PostgreSQL, FTP, XMPP
# client, HTTPS alternative) and their StartTLS counterparts; any unprivileged port (>= 1024) too.
ALLOWED_PORTS = frozenset({21, 25, 110, 143, 443, 465, 587, 636, 993, 995, 5222, 5432, 8443})
FIRST_FREE_PORT = 1024


class TargetRefused(Exception):
    """The host or port may not be tested; `reason` says why (an error Reason)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


def port_allowed(port: int) -> bool:
    return port in ALLOWED_PORTS or FIRST_FREE_PORT <= port <= 65535


def allow_private_default() -> bool:
    """settings.INSTALLATION_TEST_ALLOW_PRIVATE: tests and a laptop demo may reach loopback."""
    return bool(getattr(settings, "INSTALLATION_TEST_ALLOW_PRIVATE", False))


def is_public(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses (and
    an IPv4 address mapped into IPv6 is judged as the IPv4 address it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_addresses(host: str, port: int) -> list[str]:
    """The host's addresses for a TCP connection, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_target(host: str, port: int, *, allow_private: bool | None = None) -> list[str]:
    """The addresses the test may connect to, or TargetRefused (unresolved name, private address,
    port not allowed). One private address refuses the whole name: it would be tried too."""
    if allow_private is None:
        allow_private = allow_private_default()
    if not port_allowed(port):
        raise TargetRefused(reasons.error("port_refused", port=port))
    try:
        addresses = resolve_addresses(host, port)
    except (OSError, UnicodeError):
        raise TargetRefused(reasons.error("unresolved", host=host)) from None
    if not addresses:
        raise TargetRefused(reasons.error("unresolved", host=host))
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(reasons.error("address_refused", host=host, address=address))
    return addresses
