"""The Portal login CA (ACC-7): a root and an issuing CA of the portal's own, for login certificates.

It is not a brand's CA (orders/ca): accounts is the ground floor and issues its own login
certificates. Keys are ECDSA P-384 signing with ecdsa-with-SHA384, stored as PKCS#8 PEM encrypted
with settings.CA_KEY_PASSPHRASE and decrypted in memory only for the signature at hand. The pair
is made on first use; the TLS terminator trusts its chain (`chain_pem`, written out by
`manage.py login_ca_chain`) to verify the client certificates (deploy/nginx/).

Certificate profiles follow RFC 5280 4.2: the CAs carry basicConstraints (critical), keyUsage
keyCertSign + cRLSign (critical), subject and authority key identifiers; the login certificates
carry clientAuth only (RFC 5280 4.2.1.12), digitalSignature, the username as CN, the user's public
id as UID (RFC 4519 2.39) and their email as rfc822Name SAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.models import LoginCA, User

ROOT_LIFETIME = timedelta(days=20 * 365 + 5)
ISSUING_LIFETIME = timedelta(days=10 * 365 + 2)
BACKDATE = timedelta(minutes=1)  # clock skew between the portal and the TLS terminator
SIGNATURE_HASH = hashes.SHA384
ORGANISATION = "Certificate portal"


@dataclass(frozen=True)
class SignedCertificate:
    certificate: x509.Certificate
    pem: str
    serial_hex: str
    fingerprint_sha256: str


def authorities() -> tuple[LoginCA, LoginCA]:
    """The (root, issuing) pair, made on first use.

    Two first uses at once must not make two roots: both insert under the unique `kind` index, so
    the second waits for the first transaction and then fails on the key; it rolls back and reads
    the pair the first one made.
    """
    found = _existing()
    if found:
        return found
    try:
        with transaction.atomic():
            root = _create_root()
            issuing = _create_issuing(root)
    except IntegrityError:
        found = _existing()
        if not found:
            raise
        return found
    return root, issuing


def _existing() -> tuple[LoginCA, LoginCA] | None:
    by_kind = {ca.kind: ca for ca in LoginCA.objects.all()}
    if LoginCA.Kind.ROOT in by_kind and LoginCA.Kind.ISSUING in by_kind:
        return by_kind[LoginCA.Kind.ROOT], by_kind[LoginCA.Kind.ISSUING]
    return None


def certificate_of(ca: LoginCA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.certificate_pem.encode())


def chain_pem() -> str:
    """The issuing CA then the root, PEM: what the TLS terminator trusts for client certificates
    (nginx `ssl_client_certificate`) and what goes into a PKCS#12 beside the user's certificate."""
    root, issuing = authorities()
    return issuing.certificate_pem + root.certificate_pem


def chain() -> list[x509.Certificate]:
    root, issuing = authorities()
    return [certificate_of(issuing), certificate_of(root)]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _create_root() -> LoginCA:
    key = ec.generate_private_key(ec.SECP384R1())
    name = _name("Portal login Root CA")
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, SIGNATURE_HASH())
    )
    return _save(LoginCA.Kind.ROOT, None, cert, key)


def _create_issuing(root: LoginCA) -> LoginCA:
    key = ec.generate_private_key(ec.SECP384R1())
    root_cert = certificate_of(root)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Portal login Issuing CA"))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + ISSUING_LIFETIME, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(_private_key(root), SIGNATURE_HASH())
    )
    return _save(LoginCA.Kind.ISSUING, root, cert, key)


def _save(
    kind: str, parent: LoginCA | None, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> LoginCA:
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(settings.CA_KEY_PASSPHRASE.encode()),
    )
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    if not isinstance(common_name, str):
        raise TypeError("a login CA's common name is text")
    ca = LoginCA.objects.create(
        kind=kind,
        parent=parent,
        common_name=common_name,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=encrypted.decode(),
    )
    # The login CA belongs to no account: its event is the portal's, written outside any scope.
    with scopes_disabled():
        log_action(
            "clientcert.ca_created",
            actor_name="system",
            kind=kind,
            common_name=ca.common_name,
            fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        )
    return ca


def _private_key(ca: LoginCA) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(
        ca.encrypted_key_pem.encode(), settings.CA_KEY_PASSPHRASE.encode()
    )
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the login CA holds an unexpected key type")
    return key


def sign_login_certificate(
    user: User,
    public_key: CertificatePublicKeyTypes,
    *,
    serial: int,
    validity: timedelta,
    now: datetime | None = None,
) -> SignedCertificate:
    """ACC-7: a login certificate for `user`'s public key, signed by the issuing CA.

    Subject CN = username and UID = the user's public id; SAN rfc822Name = their email; EKU
    clientAuth only, so it is good for nothing but logging in (RFC 5280 4.2.1.12).
    """
    _, issuing = authorities()
    issuer_cert = certificate_of(issuing)
    now = now or timezone.now()
    not_before = now - BACKDATE
    not_after = min(now + validity, issuer_cert.not_valid_after_utc)
    if not user.public_id:
        raise ValueError("only a saved user (with a public id) gets a login certificate")
    subject = x509.Name(
        [
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, user.account.name if user.account is not None else ORGANISATION
            ),
            x509.NameAttribute(NameOID.USER_ID, user.public_id),
            x509.NameAttribute(NameOID.COMMON_NAME, user.username),
        ]
    )
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if user.email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(user.email)]), critical=False
        )
    cert = builder.sign(_private_key(issuing), SIGNATURE_HASH())
    return SignedCertificate(
        certificate=cert,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        serial_hex=f"{cert.serial_number:x}",
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )
