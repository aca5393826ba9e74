"""CSR checks (ORD-6): a pasted certificate signing request is read, verified and described back.

Each refusal raises `CsrError` with its own code and a sentence saying exactly what is wrong, so a
form can show it next to the CSR field. Key rules follow CA/B BR 6.1.5 (key sizes) and 6.1.6
(RSA public exponent, EC point validity); the CSR format is PKCS#10 (RFC 2986) in PEM (RFC 7468).
Known-weak keys and keys revoked for compromise are refused last (BR 6.1.1.3, see orders.weakkeys).
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID, PublicKeyAlgorithmOID
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _

from .sharedprimes import remember_public_key
from .weakkeys import check_public_key

MAX_CSR_BYTES = 16 * 1024
RSA_SIZES = (2048, 3072, 4096)
RSA_MIN_EXPONENT = 65537
RSA_MAX_EXPONENT = 2**256 - 1  # CA/B BR 6.1.6
EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}

_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
_PEM = re.compile(
    r"\A-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----\Z", re.DOTALL
)
_BASE64_ONLY = re.compile(r"\A[A-Za-z0-9+/=\s]+\Z")
_ATTRIBUTE_LABELS = {NameOID.EMAIL_ADDRESS: "emailAddress", NameOID.SERIAL_NUMBER: "serialNumber"}


# Control characters other than tab and line ends: binary garbage, not a PEM text (issue 13).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsrField(forms.CharField):
    """A pasted CSR: binary garbage gets the CSR message, not Django's null-character error
    (parse_csr, called by the form's clean_csr, says what is wrong with any other text)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        if text is not None and _BINARY.search(text):
            raise forms.ValidationError(
                _("This text is not a certificate signing request (CSR)."), code="garbage"
            )
        return text


class CsrError(Exception):
    """A refused CSR: `code` for programs and tests, `message` for the person who pasted it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CsrInfo:
    """What the CSR says, shown back to the user (ORD-6)."""

    pem: str
    common_name: str
    sans: list[str]
    subject: list[tuple[str, str]]
    key_description: str
    public_key_sha256: str
    signature_hash: str


def public_key_sha256(public_key: CertificatePublicKeyTypes) -> str:
    """Hex SHA-256 of the SubjectPublicKeyInfo DER (RFC 5280 4.1.2.7), the same for a CSR and a certificate."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def parse_csr(text: str) -> CsrInfo:
    """Check a pasted CSR against ORD-6 and describe it; raise CsrError with the first problem found.

    The last check reads the certificates revoked for key compromise on every account (BR 6.1.1.3) and
    the RSA moduli seen before (shared primes); an accepted RSA key's modulus is then stored.
    """
    return _read_csr(text, against_database=True)


def describe_csr(text: str) -> CsrInfo:
    """What a stored CSR says (the status page shows it back): the same reading as `parse_csr`
    without the checks against the database (blocked and compromised keys, shared primes) and
    without storing its modulus. It passed them when the order was placed; reading every stored
    modulus on each view of a status page would make the page cost grow with the portal."""
    return _read_csr(text, against_database=False)


def _read_csr(text: str, *, against_database: bool) -> CsrInfo:
    der = _decode_pem(text)
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError:
        raise CsrError("garbage", _("The request is damaged: its content cannot be read as a CSR.")) from None
    public_key = _load_public_key(csr)
    description = _check_key(public_key)
    _check_signature(csr)
    try:
        sans = _dns_names(csr)
    except ValueError:
        raise CsrError("garbage", _("The request's extensions are malformed and cannot be read.")) from None
    subject = [(_attribute_label(attr), _attribute_value(attr)) for attr in csr.subject]
    common_names = [value for label, value in subject if label == "CN"]
    key_sha256 = public_key_sha256(public_key)
    if against_database:
        verdict = check_public_key(public_key, key_sha256)
        if verdict is not None:
            raise CsrError(verdict.code, verdict.message)
        remember_public_key(public_key)  # every accepted key's modulus is kept for the shared-prime check
    return CsrInfo(
        pem=csr.public_bytes(serialization.Encoding.PEM).decode(),
        common_name=common_names[0] if common_names else "",
        sans=sans,
        subject=subject,
        key_description=description,
        public_key_sha256=key_sha256,
        signature_hash=_signature_hash(csr),
    )


def _decode_pem(text: str) -> bytes:
    """RFC 7468 framing: one CERTIFICATE REQUEST (or NEW CERTIFICATE REQUEST) block, whitespace around."""
    if _BINARY.search(text):
        raise CsrError("garbage", _("This text is not a certificate signing request (CSR)."))
    if len(text.encode("utf-8", errors="replace")) > MAX_CSR_BYTES:
        raise CsrError("too_large", _("The request is larger than 16 KiB: paste only the CSR itself."))
    stripped = text.strip()
    if "PRIVATE KEY-----" in stripped:
        raise CsrError(
            "framing",
            _(
                "This is a private key. Never send your private key: paste the certificate "
                "request (-----BEGIN CERTIFICATE REQUEST-----) instead."
            ),
        )
    if "-----BEGIN" not in stripped:
        if stripped and _BASE64_ONLY.match(stripped):
            raise CsrError(
                "framing",
                _(
                    "The header and footer lines are missing: paste the request from "
                    "-----BEGIN CERTIFICATE REQUEST----- to -----END CERTIFICATE REQUEST-----."
                ),
            )
        raise CsrError("garbage", _("This text is not a certificate signing request (CSR)."))
    if stripped.count("-----BEGIN") > 1:
        raise CsrError("framing", _("The text holds several PEM blocks: paste only the certificate request."))
    match = _PEM.match(stripped)
    if match is None:
        raise CsrError(
            "framing",
            _(
                "The request must start with -----BEGIN CERTIFICATE REQUEST----- and end with "
                "the matching -----END CERTIFICATE REQUEST----- line, with nothing else around."
            ),
        )
    label = match["label"]
    if label not in _LABELS:
        raise CsrError(
            "framing",
            _(
                "This is a “%(label)s”, not a certificate request: paste the block that starts "
                "with -----BEGIN CERTIFICATE REQUEST-----."
            )
            % {"label": label},
        )
    try:
        return binascii.a2b_base64("".join(match["body"].split()), strict_mode=True)
    except binascii.Error:
        raise CsrError("garbage", _("The request is damaged: its content is not valid base64.")) from None


def _load_public_key(csr: x509.CertificateSigningRequest) -> CertificatePublicKeyTypes:
    """The CSR's key; cryptography checks an EC point lies on its curve here (BR 6.1.6)."""
    try:
        return csr.public_key()
    except UnsupportedAlgorithm:
        raise CsrError(
            "key_type", _("The request's key type is not supported: use RSA or ECDSA (P-256 or P-384).")
        ) from None
    except ValueError:
        # cryptography's type stubs declare public_key_algorithm_oid on Certificate only; its
        # CertificateSigningRequest has it at run time too (cryptography 50).
        if csr.public_key_algorithm_oid == PublicKeyAlgorithmOID.EC_PUBLIC_KEY:  # type: ignore[attr-defined]
            raise CsrError(
                "ec_point", _("The request's EC public key is not a valid point on its curve.")
            ) from None
        raise CsrError("garbage", _("The request's public key is damaged and cannot be read.")) from None


def _check_signature(csr: x509.CertificateSigningRequest) -> None:
    """RFC 2986 4.2: the request is signed by the private key of the public key it carries."""
    try:
        valid = csr.is_signature_valid
    except (UnsupportedAlgorithm, ValueError):
        raise CsrError(
            "signature",
            _(
                "The request is signed with an algorithm we do not support: sign it "
                "with SHA-256, SHA-384 or SHA-512."
            ),
        ) from None
    if not valid:
        raise CsrError(
            "signature",
            _(
                "The request's signature is not valid: it was altered or not signed "
                "with the private key matching its public key."
            ),
        )


def _signature_hash(csr: x509.CertificateSigningRequest) -> str:
    try:
        algorithm = csr.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return ""
    return algorithm.name if algorithm else ""


def _check_key(public_key: CertificatePublicKeyTypes) -> str:
    """CA/B BR 6.1.5 and 6.1.6: RSA 2048/3072/4096 with a sound exponent, or ECDSA P-256/P-384."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return _check_rsa(public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = EC_CURVES.get(public_key.curve.name)
        if curve is None:
            raise CsrError(
                "curve",
                _("The elliptic curve %(curve)s is refused: use P-256 or P-384.")
                % {"curve": public_key.curve.name},
            )
        return f"EC {curve}"
    if isinstance(public_key, dsa.DSAPublicKey):
        raise CsrError(
            "key_type",
            _("DSA keys are refused: generate an RSA (2048 bits or more) or ECDSA P-256/P-384 key."),
        )
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raise CsrError(
            "key_type",
            _(
                "Ed25519 keys are refused: the CA/Browser Forum rules allow only RSA and "
                "ECDSA P-256/P-384 keys."
            ),
        )
    if isinstance(public_key, ed448.Ed448PublicKey):
        raise CsrError(
            "key_type",
            _(
                "Ed448 keys are refused: the CA/Browser Forum rules allow only RSA and "
                "ECDSA P-256/P-384 keys."
            ),
        )
    raise CsrError(
        "key_type", _("The request's key type is not supported: use RSA or ECDSA (P-256 or P-384).")
    )


def _check_rsa(public_key: rsa.RSAPublicKey) -> str:
    size = public_key.key_size
    if size not in RSA_SIZES:
        raise CsrError(
            "rsa_size",
            _("The RSA key has %(size)d bits: only 2048, 3072 or 4096 bits are accepted.") % {"size": size},
        )
    numbers = public_key.public_numbers()
    if numbers.e % 2 == 0 or not RSA_MIN_EXPONENT <= numbers.e <= RSA_MAX_EXPONENT:
        raise CsrError(
            "rsa_exponent",
            _("The RSA public exponent %(e)d is refused: it must be odd and at least 65537.")
            % {"e": numbers.e},
        )
    factor = next((p for p in _small_primes() if numbers.n % p == 0), None)
    if factor is not None:
        raise CsrError(
            "rsa_small_factor",
            _("The RSA modulus is divisible by %(p)d: the key is broken, generate a new one.")
            % {"p": factor},
        )
    return f"RSA {size}"


@cache
def _small_primes(limit: int = 1000) -> tuple[int, ...]:
    """Primes below `limit` for the small-factor check (BR 6.1.6 asks for no factor below 752)."""
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return tuple(i for i, is_prime in enumerate(sieve) if is_prime)


def _dns_names(csr: x509.CertificateSigningRequest) -> list[str]:
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    except x509.DuplicateExtension as exc:
        raise ValueError(exc) from None
    return san.get_values_for_type(x509.DNSName)


def _attribute_label(attr: x509.NameAttribute) -> str:
    return _ATTRIBUTE_LABELS.get(attr.oid) or attr.rfc4514_attribute_name


def _attribute_value(attr: x509.NameAttribute) -> str:
    value = attr.value
    return value.hex() if isinstance(value, bytes) else value
