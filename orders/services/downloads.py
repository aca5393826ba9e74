"""LIFE-3: a certificate of an order as a file in one of the download formats.

The status page's download links (orders.views.downloads) and the REST API (api) both serve what
`certificate_file` builds, so the formats and their contents are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from ..ca import bundles, certificate_chain
from ..models import Certificate, Order
from .issuing import DOWNLOAD_FORMATS


class FormatNotOffered(LookupError):
    """The format is unknown, or not offered for this certificate (an imported one: PEM only)."""


@dataclass(frozen=True)
class DownloadFile:
    body: bytes | str
    filename: str
    content_type: str


def offered_formats(certificate: Certificate) -> list[str]:
    """ORD-15: an imported certificate comes without the chain of its foreign CA: PEM only. One of
    an outside ACME CA (AUTO-4 [beyond]) came with its chain: every format."""
    if certificate.issuer_id is None and not certificate.chain_pem:
        return ["cer"]
    return list(DOWNLOAD_FORMATS)


def certificate_file(order: Order, certificate: Certificate, fmt: str) -> DownloadFile:
    """The file of `certificate` (of `order`) in format `fmt`; FormatNotOffered otherwise."""
    if fmt not in offered_formats(certificate):
        raise FormatNotOffered(fmt)
    leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
    chain = certificate_chain(certificate)
    base = bundles.safe_filename(certificate.common_name)
    body: bytes | str
    match fmt:
        case "cer":
            body, filename = bundles.leaf_pem(leaf), f"{base}.cer"
        case "p7b":
            body, filename = bundles.pkcs7_der(leaf, chain), f"{base}.p7b"
        case "fullchain":
            body, filename = bundles.chain_pem(leaf, chain), f"{base}-fullchain.pem"
        case "root":
            body, filename = bundles.root_pem(chain), "root.cer"
        case _:
            body, filename = bundles.zip_bundle(leaf, chain, certificate.common_name), f"{base}.zip"
    return DownloadFile(body, filename, DOWNLOAD_FORMATS[fmt]["content_type"])
