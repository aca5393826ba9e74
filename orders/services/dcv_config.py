"""Settings of the DCV checks and the CAA pre-check of an order form (ORD-8)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.resolver
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.models import Product

from .. import dcv as checks


@dataclass(frozen=True)
class DcvConfig:
    """The settings of the checks (portal/settings.py, from the environment)."""

    dns_servers: list[tuple[str, int]]
    dns_timeout: float
    http_port: int
    http_timeout: float
    allow_private: bool
    cname_zone: str


def _server(entry: str) -> tuple[str, int]:
    host, port = entry.strip(), "53"
    if host.startswith("["):  # [2001:db8::53]:5353
        host, _sep, rest = host[1:].partition("]")
        port = rest.lstrip(":") or port
    elif host.count(":") == 1:
        host, port = host.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"DCV_DNS_RESOLVER: {entry!r} is not host:port")
    return host, int(port)


def dcv_config() -> DcvConfig:
    """DCV_DNS_RESOLVER ("host:port" list, empty = the system's resolver), DCV_DNS_TIMEOUT,
    DCV_HTTP_PORT (80 in production), DCV_HTTP_TIMEOUT, DCV_ALLOW_PRIVATE_ADDRESSES (tests on
    loopback only), DCV_CNAME_ZONE (default "dcv." + the portal's host name)."""
    zone = getattr(settings, "DCV_CNAME_ZONE", "") or "dcv." + (
        urlsplit(settings.SITE_URL).hostname or "localhost"
    )
    return DcvConfig(
        dns_servers=[_server(e) for e in getattr(settings, "DCV_DNS_RESOLVER", []) if e.strip()],
        dns_timeout=float(getattr(settings, "DCV_DNS_TIMEOUT", 5.0)),
        http_port=int(getattr(settings, "DCV_HTTP_PORT", 80)),
        http_timeout=float(getattr(settings, "DCV_HTTP_TIMEOUT", 10.0)),
        allow_private=bool(getattr(settings, "DCV_ALLOW_PRIVATE_ADDRESSES", False)),
        cname_zone=zone,
    )


def resolver() -> dns.resolver.Resolver:
    config = dcv_config()
    return checks.make_resolver(config.dns_servers, config.dns_timeout)


def caa_problems(product: Product, names: Iterable[str]) -> list[str]:
    """ORD-8 [beyond]: CAA pre-check before submission (RFC 8659): why the brand's CA may not issue
    for some of `names`, one message per CAA record at fault; empty when all may be issued (or the
    product is not a server certificate). The order form shows these next to the names."""
    if not product.is_server:
        return []
    identifiers = checks.caa_identifiers(product.brand.code)
    resolver_ = resolver()
    refusals = [checks.caa_allows(name, identifiers, resolver=resolver_) for name in names if name.strip()]
    return list(dict.fromkeys(detail for allowed, detail in refusals if not allowed))
