"""LIFE-3 download formats of a certificate with its chain (issuing CA, then root).

PEM per RFC 7468, PKCS#7 "certs-only" (RFC 2315 / RFC 5652 degenerate SignedData) in DER.
"""

from __future__ import annotations

import io
import re
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(common_name: str) -> str:
    """A file name from a certificate name: "*.example.com" → "wildcard.example.com"."""
    name = _UNSAFE.sub("_", common_name.strip().replace("*", "wildcard")).strip("._")
    return name[:100] or "certificate"


def leaf_pem(leaf: x509.Certificate) -> str:
    return leaf.public_bytes(Encoding.PEM).decode()


def chain_pem(leaf: x509.Certificate, chain: list[x509.Certificate]) -> str:
    """Full chain PEM: the certificate, then the intermediate CA(s), without the self-signed root
    (RFC 8446 4.4.2: the root may be omitted; servers send it uselessly, clients hold it already)."""
    without_root = [cert for cert in chain if cert.subject != cert.issuer]
    return "".join(cert.public_bytes(Encoding.PEM).decode() for cert in [leaf, *without_root])


def root_pem(chain: list[x509.Certificate]) -> str:
    return chain[-1].public_bytes(Encoding.PEM).decode()


def pkcs7_der(leaf: x509.Certificate, chain: list[x509.Certificate]) -> bytes:
    """.p7b: PKCS#7 certs-only in DER with the certificate, the issuing CA and the root."""
    return pkcs7.serialize_certificates([leaf, *chain], Encoding.DER)


def zip_bundle(
    leaf: x509.Certificate, chain: list[x509.Certificate], common_name: str | None = None
) -> bytes:
    """Every format in one zip: <cn>.cer, <cn>.p7b, <cn>-fullchain.pem, root.pem."""
    if common_name is None:
        names = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        common_name = str(names[0].value) if names else ""
    base = safe_filename(common_name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{base}.cer", leaf_pem(leaf))
        archive.writestr(f"{base}.p7b", pkcs7_der(leaf, chain))
        archive.writestr(f"{base}-fullchain.pem", chain_pem(leaf, chain))
        archive.writestr("root.pem", root_pem(chain))
    return buffer.getvalue()
