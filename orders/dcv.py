"""Domain control validation and CAA checks, without the database (ORD-8, CA/B BR 3.2.2.4, 3.2.2.8).

What the portal looks at, for a random value `token` and a domain `d`:
- DNS (BR 3.2.2.4.7): a TXT record at `_pki-validation.d` containing the value, or a CNAME at
  `_pki-validation.d` pointing to `<value>.<DCV_CNAME_ZONE>`. The underscore label is allowed by
  3.2.2.4.7 ("an Authorization Domain Name prefixed with a label that begins with an underscore")
  and keeps the record away from the domain's own names. Lowercase base32 values survive DNS's
  case folding in CNAME targets.
- HTTP (BR 3.2.2.4.18): `http://d/.well-known/pki-validation/<file>.txt` answering 200 with the
  value in its body. The file name is derived from the value but is not the value, so a server
  echoing the requested path cannot pass. At most one redirect, to the same domain, over http or
  https, to port 80 or 443 (the BR's limits; DCV_HTTP_PORT adds the port the tests use).
- CAA (RFC 8659): the first CAA RRset found climbing from the name towards the root decides.

Every check returns what the portal saw, shown to the customer as is (ORD-8).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
from django.utils.translation import gettext as _
from dns.rdtypes.ANY.CAA import CAA
from dns.rdtypes.ANY.TXT import TXT

from catalog.models import Brand, DcvMethod

M = DcvMethod

# BR 3.2.2.4.4 (ballot SC-090): email to constructed addresses is no longer allowed from this date.
EMAIL_METHOD_ENDS = datetime(2028, 3, 15, tzinfo=UTC)
# BR 1.6.1 "Random Value" / 3.2.2.4.7 and .18: usable for at most 30 days after its creation.
RANDOM_VALUE_LIFETIME = timedelta(days=30)
# BR 3.2.2.8: a CAA answer authorises issuance for 8 hours (or the record's TTL if longer).
CAA_VALIDITY = timedelta(hours=8)
# BR 3.2.2.4.4: the constructed addresses, local part @ the Authorization Domain Name.
APPROVED_LOCAL_PARTS = ("admin", "administrator", "webmaster", "hostmaster", "postmaster")
DNS_LABEL = "_pki-validation"
HTTP_PATH = "/.well-known/pki-validation/"
ACME_HTTP_PATH = "/.well-known/acme-challenge/"  # RFC 8555 8.3
ACME_DNS_LABEL = "_acme-challenge"  # RFC 8555 8.4
HTTP_BODY_LIMIT = 8192
HTTP_REDIRECTS = {301, 302, 307, 308}

# RFC 8659 issuer domain names each brand's CA recognises in "issue"/"issuewild" properties.
BRAND_CAA_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "tbs-x509": ("tbs-certificats.com",),
    "digicert": ("digicert.com", "www.digicert.com"),
    "thawte": ("digicert.com", "thawte.com"),
    "geotrust": ("digicert.com", "geotrust.com"),
    "sectigo": ("sectigo.com", "comodoca.com"),
    "positivessl": ("sectigo.com", "comodoca.com"),
    "globalsign": ("globalsign.com",),
    "harica": ("harica.gr",),
    "certigna": ("certigna.fr", "certigna.com"),
    "chambersign": ("chambersign.fr",),
}
_KNOWN_CAA_TAGS = {"issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"}


def offered_methods(brand: Brand, now: datetime) -> list[str]:
    """ORD-8, STAFF-3: the brand's DCV methods (catalog data staff edit, in the order the page offers
    them) at `now`; email only before 2028-03-15 (ballot SC-090)."""
    known = {method.value for method in M}
    return [m for m in brand.dcv_methods if m in known and (m != M.EMAIL or now < EMAIL_METHOD_ENDS)]


def caa_identifiers(brand_code: str) -> tuple[str, ...]:
    """RFC 8659: the issuer domain names a CAA record must name for this brand's CA to issue."""
    return BRAND_CAA_IDENTIFIERS.get(brand_code, ())


def validation_domain(name: str) -> str:
    """The domain to validate for an ordered name: "*.example.com" → "example.com" (BR 3.2.2.6)."""
    name = name.strip().rstrip(".").lower()
    return name[2:] if name.startswith("*.") else name


def dcv_domains(names: Iterable[str]) -> list[str]:
    """The distinct domains to validate for the names of an order, in the order given."""
    seen: dict[str, None] = {}
    for name in names:
        if name.strip():
            seen.setdefault(validation_domain(name), None)
    return list(seen)


def new_random_value() -> str:
    """BR 1.6.1 Random Value: 160 bits from the CSPRNG (at least 112 required), lowercase base32,
    usable as a DNS label, in a file and in a URL."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=").lower()


def approved_addresses(domain: str) -> list[str]:
    """BR 3.2.2.4.4: admin@, administrator@, webmaster@, hostmaster@, postmaster@ the domain (the
    services pass the base domain, BR 1.6.1 Authorization Domain Name: orders.services.dcv)."""
    return [f"{local}@{domain}" for local in APPROVED_LOCAL_PARTS]


def dns_record_name(domain: str) -> str:
    return f"{DNS_LABEL}.{domain}"


def cname_target(token: str, zone: str) -> str:
    return f"{token}.{zone.strip('.')}"


def http_file_name(token: str) -> str:
    """The file name for the HTTP method: derived from the value, never the value itself."""
    return hashlib.sha256(f"pki-validation:{token}".encode()).hexdigest()[:32] + ".txt"


def http_url(domain: str, token: str, port: int = 80) -> str:
    netloc = domain if port == 80 else f"{domain}:{port}"
    return f"http://{netloc}{HTTP_PATH}{http_file_name(token)}"


@dataclass(frozen=True)
class Outcome:
    """One check: did it pass, and what the portal saw (shown on the DCV page)."""

    passed: bool
    seen: str


def make_resolver(servers: list[tuple[str, int]], timeout: float) -> dns.resolver.Resolver:
    """A resolver asking `servers` ("host", port) or, when empty, the system's; no cache, so each
    check sees the zone as it is now."""
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


def _dns_error(exc: Exception) -> str:
    if isinstance(exc, dns.exception.Timeout):
        return _("no answer (timeout)")
    if isinstance(exc, dns.resolver.NoNameservers):
        return _("no server could answer (SERVFAIL or refused)")
    return str(exc) or exc.__class__.__name__


def _lookup(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> tuple[list, str]:
    """(records, text) for one query: NXDOMAIN and an empty answer are "none", errors are said."""
    try:
        answer = resolver.resolve(name, rdtype, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return [], _("none")
    except dns.exception.DNSException as exc:
        return [], _("DNS error: %(error)s") % {"error": _dns_error(exc)}
    return list(answer), ""


def _txt(rdata: TXT) -> str:
    return b"".join(rdata.strings).decode("utf-8", "replace")


def check_dns(domain: str, token: str, *, resolver: dns.resolver.Resolver, cname_zone: str) -> Outcome:
    """BR 3.2.2.4.7: the value in a TXT record, or a CNAME to `<value>.<zone>`, at _pki-validation.<domain>."""
    name = dns_record_name(domain)
    txt_records, txt_note = _lookup(resolver, name, "TXT")
    values = [_txt(r) for r in txt_records]
    cname_records, cname_note = _lookup(resolver, name, "CNAME")
    targets = [r.target.to_text(omit_final_dot=True).lower() for r in cname_records]
    seen = "\n".join(
        [
            f"TXT {name}: " + (", ".join(f'"{v}"' for v in values) if values else txt_note),
            f"CNAME {name}: " + (", ".join(targets) if targets else cname_note),
        ]
    )
    passed = any(token in value for value in values) or any(t.split(".", 1)[0] == token for t in targets)
    return Outcome(passed, seen)


def resolve_address(domain: str, resolver: dns.resolver.Resolver | None) -> str:
    """The address to connect to: from `resolver` (A, then AAAA) or the system (/etc/hosts, DNS)."""
    if resolver is None:
        return str(socket.getaddrinfo(domain, None, type=socket.SOCK_STREAM)[0][4][0])
    last_error: Exception | None = None
    for rdtype in ("A", "AAAA"):
        try:
            return resolver.resolve(domain, rdtype, search=False)[0].address
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
            last_error = exc
    raise last_error or dns.resolver.NoAnswer()


class _HTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a resolved address with the domain as SNI. The certificate is not verified: the
    random value proves control (BR 3.2.2.4.18 asks for no valid certificate, and a site being
    set up often has none)."""

    def __init__(self, address: str, port: int, *, server_name: str, timeout: float) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        super().__init__(address, port, timeout=timeout, context=context)
        self._tls = context  # what the base class keeps as its private _context
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)


def _fetch(url: str, address: str, timeout: float) -> tuple[int, str, str, bytes]:
    """(status, reason, Location header, body start) of one GET, no redirect followed."""
    parts = urlsplit(url)
    if not parts.hostname:  # e.g. a redirect to "https:///": refused like any other bad answer
        raise http.client.InvalidURL(f"no host name in {url}")
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _HTTPSConnection(address, port, server_name=parts.hostname, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    host = parts.hostname if port == default else f"{parts.hostname}:{port}"
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "GET",
            target,
            headers={
                "Host": host,
                "User-Agent": "certificate-portal-dcv/1",
                "Accept": "*/*",
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        body = response.read(HTTP_BODY_LIMIT)
        return response.status, response.reason, response.getheader("Location", ""), body
    finally:
        connection.close()


def check_http(
    domain: str,
    token: str,
    *,
    port: int,
    timeout: float,
    resolve: Callable[[str], str],
    allow_private: bool = False,
) -> Outcome:
    """BR 3.2.2.4.18: GET the file, 200 with the value in the body; one redirect at most.

    `resolve(domain)` gives the address. Addresses that are not public are refused unless
    `allow_private` (tests on loopback): a customer's DNS must not point the portal at our own
    network.
    """
    return _check_url(
        domain,
        http_url(domain, token, port),
        lambda text: token in text,
        port=port,
        timeout=timeout,
        resolve=resolve,
        allow_private=allow_private,
    )


def acme_http01_url(domain: str, token: str, port: int = 80) -> str:
    netloc = domain if port == 80 else f"{domain}:{port}"
    return f"http://{netloc}{ACME_HTTP_PATH}{token}"


def check_acme_http01(
    domain: str,
    token: str,
    key_authorization: str,
    *,
    port: int,
    timeout: float,
    resolve: Callable[[str], str],
    allow_private: bool = False,
) -> Outcome:
    """RFC 8555 8.3 (AUTO-2), BR 3.2.2.4.19: GET /.well-known/acme-challenge/<token> answers 200
    with the key authorization (surrounding whitespace ignored); the same redirect and address
    rules as the portal's own HTTP method."""
    return _check_url(
        domain,
        acme_http01_url(domain, token, port),
        lambda text: text.strip() == key_authorization,
        port=port,
        timeout=timeout,
        resolve=resolve,
        allow_private=allow_private,
    )


def check_acme_dns01(domain: str, key_authorization: str, *, resolver: dns.resolver.Resolver) -> Outcome:
    """RFC 8555 8.4 (AUTO-2), BR 3.2.2.4.7: a TXT record at _acme-challenge.<domain> holding the
    base64url SHA-256 digest of the key authorization."""
    name = f"{ACME_DNS_LABEL}.{domain}"
    digest = (
        base64.urlsafe_b64encode(hashlib.sha256(key_authorization.encode()).digest()).decode().rstrip("=")
    )
    records, note = _lookup(resolver, name, "TXT")
    values = [_txt(r) for r in records]
    seen = f"TXT {name}: " + (", ".join(f'"{v}"' for v in values) if values else note)
    return Outcome(digest in values, seen)


def _check_url(
    domain: str,
    url: str,
    accept: Callable[[str], bool],
    *,
    port: int,
    timeout: float,
    resolve: Callable[[str], str],
    allow_private: bool,
) -> Outcome:
    lines: list[str] = []
    allowed_ports = {80, 443, port}
    for hop in range(2):
        try:
            address = resolve(domain)
        except (OSError, dns.exception.DNSException) as exc:
            lines.append(
                _("%(domain)s does not resolve: %(error)s") % {"domain": domain, "error": _dns_error(exc)}
            )
            return Outcome(False, "\n".join(lines))
        if not allow_private and not ipaddress.ip_address(address).is_global:
            lines.append(
                _("%(domain)s resolves to %(address)s, which is not a public address.")
                % {"domain": domain, "address": address}
            )
            return Outcome(False, "\n".join(lines))
        try:
            status, reason, location, body = _fetch(url, address, timeout)
        except (OSError, http.client.HTTPException) as exc:
            error = (
                _("no answer (timeout)")
                if isinstance(exc, TimeoutError)
                else str(exc) or exc.__class__.__name__
            )
            lines.append(f"GET {url} ({address}): {error}")
            return Outcome(False, "\n".join(lines))
        lines.append(f"GET {url} ({address}): {status} {reason}")
        if status in HTTP_REDIRECTS:
            target = urljoin(url, location)
            lines.append(_("Redirected to %(target)s") % {"target": target or "?"})
            parts = urlsplit(target)
            try:
                target_port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                target_port = -1
            if hop == 1:
                lines.append(_("A second redirect is not followed (CA/B BR 3.2.2.4.18)."))
            elif parts.scheme not in {"http", "https"} or (parts.hostname or "").lower() != domain:
                lines.append(_("A redirect must stay on %(domain)s over http or https.") % {"domain": domain})
            elif target_port not in allowed_ports:
                lines.append(_("A redirect may only go to port 80 or 443."))
            else:
                url = target
                continue
            return Outcome(False, "\n".join(lines))
        text = body.decode("utf-8", "replace")
        excerpt = text.strip()[:200]
        lines.append(_("Body: %(excerpt)s") % {"excerpt": excerpt} if excerpt else _("Empty body"))
        return Outcome(status == 200 and accept(text), "\n".join(lines))
    return Outcome(False, "\n".join(lines))  # not reached: the loop returns on its second hop


def _caa_fields(rdata: CAA) -> tuple[int, str, str]:
    return rdata.flags, rdata.tag.decode("ascii", "replace").lower(), rdata.value.decode("utf-8", "replace")


def _issuer(value: str) -> str:
    """RFC 8659 4.2: the issuer domain name before any ";" parameters ("" means nobody)."""
    return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class CaaRRset:
    """RFC 8659 3: the relevant CAA RRset of a name, the first non-empty one climbing from the name
    towards the root (excluding the root): `owner` holds it (None: no CAA anywhere), `records` are
    its (flags, tag, value); `error` says why the climb could not finish (a failed lookup)."""

    name: str
    owner: str | None = None
    records: tuple[tuple[int, str, str], ...] = ()
    error: str = ""

    def values(self, tag: str) -> list[str]:
        return [value for _flags, record_tag, value in self.records if record_tag == tag]

    @property
    def text(self) -> str:
        return "; ".join(f'{flags} {tag} "{value}"' for flags, tag, value in self.records)


def relevant_caa(name: str, *, resolver: dns.resolver.Resolver) -> CaaRRset:
    """RFC 8659 3 tree climbing from `name` (without the "*." of a wildcard): one lookup per label
    until a non-empty CAA RRset answers."""
    labels = validation_domain(name).split(".")
    for index in range(len(labels)):
        candidate = ".".join(labels[index:])
        try:
            answer = resolver.resolve(candidate, "CAA", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        except dns.exception.DNSException as exc:
            return CaaRRset(
                name,
                candidate,
                error=_("The CAA record of %(domain)s could not be read: %(error)s. Try again later.")
                % {"domain": candidate, "error": _dns_error(exc)},
            )
        return CaaRRset(name, candidate, tuple(_caa_fields(r) for r in answer))
    return CaaRRset(name)


def caa_decision(rrset: CaaRRset, name: str, issuer_domains: Iterable[str]) -> tuple[bool, str]:
    """RFC 8659 4 (BR 3.2.2.8): may a CA known by `issuer_domains` issue for `name`, given its
    relevant RRset? No RRset → allowed; an RRset with no "issue" (or, for a wildcard name,
    "issuewild" when present) property → allowed; otherwise allowed only if one names our CA. An
    unknown property flagged critical forbids. A failed lookup forbids: the caller may try again.
    """
    if rrset.error:
        return False, rrset.error
    if rrset.owner is None:
        return True, _(
            "No CAA record for %(name)s or its parent domains: any certificate authority may issue."
        ) % {"name": name}
    ours = {d.lower() for d in issuer_domains}
    wildcard = name.startswith("*.")
    candidate, seen = rrset.owner, rrset.text
    for flags, tag, _value in rrset.records:
        if flags & 128 and tag not in _KNOWN_CAA_TAGS:
            return False, _(
                "The CAA record of %(domain)s has a critical property “%(tag)s” we do not "
                "know, so no certificate may be issued (RFC 8659 section 4.1): %(seen)s"
            ) % {"domain": candidate, "tag": tag, "seen": seen}
    issue = [_issuer(v) for v in rrset.values("issue")]
    issuewild = [_issuer(v) for v in rrset.values("issuewild")]
    relevant = issuewild if wildcard and issuewild else issue
    if not relevant:
        return True, _("The CAA record of %(domain)s does not restrict issuance: %(seen)s") % {
            "domain": candidate,
            "seen": seen,
        }
    if ours & set(relevant):
        return True, _("The CAA record of %(domain)s authorises our certificate authority: %(seen)s") % {
            "domain": candidate,
            "seen": seen,
        }
    wanted = next(iter(sorted(ours)), "")
    return False, _(
        "The CAA record of %(domain)s does not authorise our certificate authority: %(seen)s. "
        "Add a record such as %(record)s or remove the restriction."
    ) % {
        "domain": candidate,
        "seen": seen,
        "record": f'{candidate}. CAA 0 {"issuewild" if wildcard and issuewild else "issue"} "{wanted}"',
    }


def caa_allows(
    name: str, issuer_domains: Iterable[str], *, resolver: dns.resolver.Resolver
) -> tuple[bool, str]:
    """RFC 8659 (BR 3.2.2.8): may a CA known by `issuer_domains` issue for `name`? The relevant
    RRset (`relevant_caa`) decides (`caa_decision`)."""
    return caa_decision(relevant_caa(name, resolver=resolver), name, issuer_domains)
