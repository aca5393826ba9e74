"""CA connectors (AUTO-4): the one place that says which connector serves a brand."""

from __future__ import annotations

from catalog.models import Brand

from .base import CAConnector, IssuedCertificate
from .embedded import EmbeddedCA

__all__ = ["CAConnector", "EmbeddedCA", "IssuedCertificate", "get_connector"]


def get_connector(brand: Brand) -> CAConnector:
    """The connector serving `brand`: the embedded CA for every brand today.

    An ACME-client connector (AUTO-4 [beyond]) will be chosen here from the brand's settings.
    """
    return EmbeddedCA()
