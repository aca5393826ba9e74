"""Names to secure (ORD-2): DNS name checks and the registered domain of a name.

The registered domain ("example.co.uk" for "www.shop.example.co.uk") decides whether an extra name
is an additional SAN (same registered domain as the common name) or a domain SAN (another one).
No public-suffix library is installed, so `MULTI_LABEL_SUFFIXES` lists the two-label public
suffixes our customers meet; any other name's registered domain is its last two labels.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

MAX_NAME_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# Public suffixes of two labels (Mozilla Public Suffix List, the ones seen on our markets).
MULTI_LABEL_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "me.uk",
        "ltd.uk",
        "plc.uk",
        "ac.uk",
        "gov.uk",
        "net.uk",
        "nhs.uk",
        "gouv.fr",
        "asso.fr",
        "com.fr",
        "nom.fr",
        "tm.fr",
        "presse.fr",
        "com.au",
        "net.au",
        "org.au",
        "edu.au",
        "gov.au",
        "co.nz",
        "org.nz",
        "net.nz",
        "co.za",
        "org.za",
        "co.jp",
        "ne.jp",
        "or.jp",
        "ac.jp",
        "com.br",
        "net.br",
        "org.br",
        "com.mx",
        "com.ar",
        "com.cn",
        "net.cn",
        "org.cn",
        "com.tw",
        "com.hk",
        "com.sg",
        "com.my",
        "co.in",
        "net.in",
        "org.in",
        "co.il",
        "co.kr",
        "com.tr",
        "gv.at",
        "co.at",
        "or.at",
        "com.es",
        "org.es",
        "com.pl",
        "net.pl",
        "org.pl",
        "com.pt",
        "com.ru",
        "com.ua",
        "co.ma",
        "gov.ma",
        "com.tn",
        "co.ca",
        "qc.ca",
        "on.ca",
        "co.ch",
    }
)


def normalise_name(name: str) -> str:
    """Lower case, surrounding spaces and a trailing dot removed; IDNs become their A-label form."""
    name = name.strip().rstrip(".").lower()
    if name and not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return name
    return name


def dns_name_error(name: str, *, allow_wildcard: bool) -> str | None:
    """Why `name` (normalised) cannot be a name of a TLS certificate, or None when it can.

    CA/B BR 7.1.4.2: FQDNs only (no IP address, no single label, no underscore), a wildcard only
    as the whole left-most label.
    """
    if not name:
        return _("The name is empty.")
    if len(name) > MAX_NAME_LENGTH:
        return _("“%(name)s” is longer than 253 characters.") % {"name": name}
    labels = name.split(".")
    if labels[0] == "*":
        if not allow_wildcard:
            return _("“%(name)s” is a wildcard name, which this product does not allow.") % {"name": name}
        labels = labels[1:]
    if "*" in ".".join(labels):
        return _("“%(name)s”: a wildcard is only allowed as the whole first label (*.example.com).") % {
            "name": name
        }
    if all(label.isdigit() for label in labels):
        return _("“%(name)s” is an IP address; only domain names are accepted.") % {"name": name}
    if len(labels) < 2:
        return _("“%(name)s” is not a fully qualified domain name (example.com).") % {"name": name}
    for label in labels:
        if not _LABEL.match(label):
            return _(
                "“%(name)s” is not a valid domain name: letters, digits and hyphens only, "
                "each label 1 to 63 characters, no hyphen at either end."
            ) % {"name": name}
    if labels[-1].isdigit():
        return _("“%(name)s” does not end with a valid top-level domain.") % {"name": name}
    if ".".join(labels) in MULTI_LABEL_SUFFIXES:
        return _("“%(name)s” is a public suffix, not a domain.") % {"name": name}
    return None


def registered_domain(name: str) -> str:
    """The registrable part of `name`: "example.co.uk" for "*.www.example.co.uk"."""
    labels = name.lstrip("*.").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
