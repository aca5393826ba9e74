"""The embedded CA connector (AUTO-4): a real root and issuing CA per brand, made on first use.

The CA keys are ECDSA P-384 (CA/B BR 6.1.5), signed with ecdsa-with-SHA384 (BR 7.1.3.2), kept as
PKCS#8 PEM encrypted with settings.CA_KEY_PASSPHRASE and decrypted only in memory when signing.
Certificate and CRL profiles follow RFC 5280 4.2 and 5.2 and BR 7.1.2 / 7.2.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.models import Organisation
from catalog.models import Brand, Chain, Product
from orders.csr import parse_csr, public_key_sha256
from orders.models import Certificate, CertificateAuthority, RevocationReason

from . import profiles
from .base import IssuedCertificate
from .policy import default_tls_validity

Kind = CertificateAuthority.Kind
ROOT_LIFETIME = timedelta(days=20 * 365 + 5)
ISSUING_LIFETIME = timedelta(days=10 * 365 + 2)
BACKDATE = timedelta(minutes=1)  # clock skew of relying parties; BR 7.1.2.7 allows up to 48 hours
CRL_LIFETIME = timedelta(days=7)  # BR 4.9.7: nextUpdate at most 10 days after thisUpdate
DEFAULT_VALIDITY = timedelta(days=365)
SIGNATURE_HASH = hashes.SHA384  # BR 7.1.3.2: a P-384 key signs with ecdsa-with-SHA384

# RFC 5280 5.3.1 reason codes; "unspecified" is left out of the CRL entry (BR 7.2.2).
CRL_REASONS: dict[str, x509.ReasonFlags | None] = {
    RevocationReason.UNSPECIFIED: None,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


def pki_url(ca: CertificateAuthority, suffix: str) -> str:
    """Public URL of a CA's certificate (".crt") or CRL (".crl"), served by orders.pki_views."""
    return f"{settings.SITE_URL}/pki/{ca.slug}{suffix}"


def ca_certificate(ca: CertificateAuthority) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.certificate_pem.encode())


def serial_hex(serial: int) -> str:
    """How a serial number is written in orders.Certificate.serial: lower-case hex, no separators."""
    return f"{serial:x}"


class EmbeddedCA:
    """CAConnector of the embedded CA; stateless, every brand has its own pair of authorities."""

    remote = False

    def authorities(self, brand: Brand) -> tuple[CertificateAuthority, CertificateAuthority]:
        """The brand's (root, issuing CA), created on first use.

        Two first uses at once must not make two roots: the brand row is locked while we look and
        create, and the (brand, kind) unique constraint backs it up.
        """
        found = _existing_authorities(brand)
        if found:
            return found
        with transaction.atomic():
            Brand.objects.select_for_update().get(pk=brand.pk)
            by_kind = {ca.kind: ca for ca in CertificateAuthority.objects.filter(brand=brand)}
            root = by_kind.get(Kind.ROOT) or _create_root(brand)
            issuing = by_kind.get(Kind.INTERMEDIATE) or _create_issuing(brand, root)
        return root, issuing

    def issue(
        self,
        *,
        product: Product,
        csr_pem: str,
        common_name: str,
        names: list[str],
        organisation: Organisation | None = None,
        not_after: datetime | None = None,
        now: datetime | None = None,
        options: dict[str, Any] | None = None,
    ) -> IssuedCertificate:
        """Sign a leaf for the CSR's key with its product's profile (orders.ca.profiles). `now` is the
        issuance time (tests, simulations); `options` are the order's (Order.options: PSD2 roles and
        competent authority).

        The CSR is checked again (ORD-6) so nothing unchecked is ever signed; raises CsrError, and
        ValueError for an order that cannot make a valid certificate (no organisation, no PSD2 data).
        """
        public_key = x509.load_pem_x509_csr(parse_csr(csr_pem).pem.encode()).public_key()
        _, issuing = self.authorities(product.brand)
        issuer_cert = ca_certificate(issuing)
        now = now or timezone.now()
        not_before = now - BACKDATE
        end = min(_validity_end(product, now, not_before, not_after), issuer_cert.not_valid_after_utc)
        if end <= not_before:
            raise ValueError("the requested end of validity is before its start")
        issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        general_names = profiles.subject_alt_names(product, [common_name, *names])
        subject = profiles.subject_name(product, common_name, organisation, options)
        if not list(subject) and not general_names:
            raise ValueError("a certificate needs a subject or a subject alternative name")
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject)
            .public_key(public_key)
            .serial_number(_unused_serial(issuing))
            .not_valid_before(not_before)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(profiles.key_usage(product, public_key), critical=True)
            .add_extension(profiles.certificate_policies(product), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(_crl_distribution(issuing), critical=False)
            .add_extension(_ca_issuers(issuing), critical=False)
        )
        usage = profiles.extended_key_usage(product)
        if usage is not None:
            builder = builder.add_extension(usage, critical=False)
        if general_names:
            # An empty subject makes the SAN the identity, and then it is critical (RFC 5280 4.2.1.6);
            # a subject naming an organisation needs none (code signing, seals).
            builder = builder.add_extension(
                x509.SubjectAlternativeName(general_names), critical=not list(subject)
            )
        statements = profiles.qc_statements(product, options)
        if statements is not None:
            builder = builder.add_extension(statements, critical=False)  # RFC 3739 3.2.6: non-critical
        cert = builder.sign(_private_key(issuing), SIGNATURE_HASH())
        algorithm = cert.signature_hash_algorithm
        assert algorithm is not None  # signed with SIGNATURE_HASH just above
        return IssuedCertificate(
            pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            serial_hex=serial_hex(cert.serial_number),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            issuer=issuing,
            fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
            public_key_sha256=public_key_sha256(public_key),
            hash_algorithm=algorithm.name,
            common_name=common_name,
        )

    def revoke(self, certificate: Certificate, reason: str, when: datetime | None = None) -> Certificate:
        """LIFE-5: mark the certificate revoked; the next CRL of its issuer lists it. Idempotent.

        The caller writes the audit event (it knows who asked and why).
        """
        reason = RevocationReason(reason)
        # The caller loaded `certificate` through its own access check; we re-read that same row to lock it.
        with transaction.atomic(), scopes_disabled():
            locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
            if locked.state != Certificate.State.REVOKED:
                locked.state = Certificate.State.REVOKED
                locked.revoked_at = when or timezone.now()
                locked.revocation_reason = reason
                locked.save(update_fields=["state", "revoked_at", "revocation_reason"])
        certificate.state = locked.state
        certificate.revoked_at = locked.revoked_at
        certificate.revocation_reason = locked.revocation_reason
        return locked

    def chain(
        self,
        certificate_or_issuer: Certificate | IssuedCertificate | CertificateAuthority,
        chain_code: str | None = None,
    ) -> list[x509.Certificate]:
        """The CA certificates above a certificate (or from a CA): issuing CA first, root last.

        ORD-2: `chain_code` (by default a stored certificate's own `chain`) names one of the brand's
        catalog chains; a cross-signed chain ends with the brand root as certified by the legacy
        root, then the legacy root, for devices that only trust the older root.
        """
        ca: CertificateAuthority | None = (
            certificate_or_issuer
            if isinstance(certificate_or_issuer, CertificateAuthority)
            else certificate_or_issuer.issuer
        )
        if chain_code is None:
            chain_code = certificate_or_issuer.chain if isinstance(certificate_or_issuer, Certificate) else ""
        result: list[x509.Certificate] = []
        while ca is not None:
            if ca.kind == Kind.ROOT and chain_code and _is_cross_signed(ca.brand_id, chain_code):
                cross, legacy = self.legacy_authorities(ca.brand)
                return [*result, ca_certificate(cross), ca_certificate(legacy)]
            result.append(ca_certificate(ca))
            ca = ca.parent
        return result

    def legacy_authorities(self, brand: Brand) -> tuple[CertificateAuthority, CertificateAuthority]:
        """ORD-2: the brand's (cross-certificate, legacy root), made on first use like `authorities`."""
        by_kind = {ca.kind: ca for ca in CertificateAuthority.objects.filter(brand=brand)}
        if Kind.CROSS in by_kind and Kind.LEGACY_ROOT in by_kind:
            return by_kind[Kind.CROSS], by_kind[Kind.LEGACY_ROOT]
        root, _ = self.authorities(brand)
        with transaction.atomic():
            Brand.objects.select_for_update().get(pk=brand.pk)
            by_kind = {ca.kind: ca for ca in CertificateAuthority.objects.filter(brand=brand)}
            legacy = by_kind.get(Kind.LEGACY_ROOT) or _create_root(brand, legacy=True)
            cross = by_kind.get(Kind.CROSS) or _create_cross(brand, root, legacy)
        return cross, legacy

    def crl_der(self, ca: CertificateAuthority, now: datetime | None = None) -> bytes:
        """A fresh DER CRL of `ca` (RFC 5280 5, BR 7.2): every certificate it issued that was revoked.

        The CRL number only grows (RFC 5280 5.2.3): it is taken under a row lock.
        """
        with transaction.atomic():
            locked = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
            locked.crl_number += 1
            locked.save(update_fields=["crl_number"])
        # A CRL is public and covers the certificates of every account.
        with scopes_disabled():
            revoked = list(
                Certificate.objects.filter(issuer_id=ca.pk, revoked_at__isnull=False)
                .order_by("revoked_at", "pk")
                .values_list("serial", "revoked_at", "revocation_reason")
            )
        cert = ca_certificate(locked)
        now = now or timezone.now()
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(cert.subject)
            .last_update(now)
            .next_update(now + CRL_LIFETIME)
            .add_extension(x509.CRLNumber(locked.crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
            )
        )
        for serial, revoked_at, reason in revoked:
            assert revoked_at is not None  # selected on revoked_at__isnull=False
            entry = (
                x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(revoked_at)
            )
            flag = CRL_REASONS.get(reason)
            if flag is not None:
                entry = entry.add_extension(x509.CRLReason(flag), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        crl = builder.sign(_private_key(locked), SIGNATURE_HASH())
        return crl.public_bytes(serialization.Encoding.DER)


def _existing_authorities(brand: Brand) -> tuple[CertificateAuthority, CertificateAuthority] | None:
    by_kind = {
        ca.kind: ca for ca in CertificateAuthority.objects.filter(brand=brand).select_related("parent")
    }
    if Kind.ROOT in by_kind and Kind.INTERMEDIATE in by_kind:
        return by_kind[Kind.ROOT], by_kind[Kind.INTERMEDIATE]
    return None


def _is_cross_signed(brand_id: int, chain_code: str) -> bool:
    return Chain.objects.filter(brand_id=brand_id, code=chain_code, cross_signed=True).exists()


def _create_root(brand: Brand, *, legacy: bool = False) -> CertificateAuthority:
    """BR 7.1.2.1: self-signed, CA:TRUE critical, keyCertSign + cRLSign critical, SKI."""
    key = ec.generate_private_key(ec.SECP384R1())
    label = "Demo Legacy Root CA" if legacy else "Demo Root CA"
    name = _ca_name(brand, f"{brand.name} {label}")
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
    if legacy:
        return _save_ca(brand, Kind.LEGACY_ROOT, None, f"{brand.code}-legacy-root", cert, key)
    return _save_ca(brand, Kind.ROOT, None, f"{brand.code}-root", cert, key)


def _create_cross(
    brand: Brand, root: CertificateAuthority, legacy: CertificateAuthority
) -> CertificateAuthority:
    """ORD-2: the brand root's subject and key certified by the legacy root (a cross-certificate,
    RFC 4158 2.3), so a path leaf → issuing CA → cross-certificate → legacy root verifies where only
    the legacy root is trusted. Same SKI as the root, so the issuing CA's AKI matches both."""
    root_cert = ca_certificate(root)
    legacy_cert = ca_certificate(legacy)
    legacy_ski = legacy_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(root_cert.subject)
        .issuer_name(legacy_cert.subject)
        .public_key(root_cert.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(root_cert.not_valid_after_utc, legacy_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(legacy_ski), critical=False
        )
        .add_extension(
            root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value, critical=False
        )
        .add_extension(_crl_distribution(legacy), critical=False)
        .add_extension(_ca_issuers(legacy), critical=False)
        .sign(_private_key(legacy), SIGNATURE_HASH())
    )
    return _save_ca(brand, Kind.CROSS, legacy, f"{brand.code}-cross", cert, _private_key(root))


def _create_issuing(brand: Brand, root: CertificateAuthority) -> CertificateAuthority:
    """BR 7.1.2.2: CA:TRUE pathlen 0, keyCertSign + cRLSign, AKI/SKI, the root's CRL and certificate URLs."""
    key = ec.generate_private_key(ec.SECP384R1())
    root_cert = ca_certificate(root)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_ca_name(brand, f"{brand.name} Demo TLS Issuing CA"))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + ISSUING_LIFETIME, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_crl_distribution(root), critical=False)
        .add_extension(_ca_issuers(root), critical=False)
        .sign(_private_key(root), SIGNATURE_HASH())
    )
    return _save_ca(brand, Kind.INTERMEDIATE, root, f"{brand.code}-issuing", cert, key)


def _save_ca(
    brand: Brand,
    kind: str,
    parent: CertificateAuthority | None,
    slug: str,
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
) -> CertificateAuthority:
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(settings.CA_KEY_PASSPHRASE.encode()),
    )
    common_name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    if not isinstance(common_name, str):
        raise TypeError("a CA's common name is text")
    ca = CertificateAuthority.objects.create(
        brand=brand,
        kind=kind,
        parent=parent,
        slug=slug,
        common_name=common_name,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=encrypted.decode(),
    )
    log_action(
        "ca.created",
        obj=ca,
        actor_name="system",
        brand=brand.code,
        kind=kind,
        slug=slug,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )
    return ca


def _ca_name(brand: Brand, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, brand.name),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name),
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


def _crl_distribution(ca: CertificateAuthority) -> x509.CRLDistributionPoints:
    url = x509.UniformResourceIdentifier(pki_url(ca, ".crl"))
    return x509.CRLDistributionPoints([x509.DistributionPoint([url], None, None, None)])


def _ca_issuers(ca: CertificateAuthority) -> x509.AuthorityInformationAccess:
    url = x509.UniformResourceIdentifier(pki_url(ca, ".crt"))
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS, url)]
    )


def _private_key(ca: CertificateAuthority) -> ec.EllipticCurvePrivateKey:
    """The CA key, decrypted in memory only for the signature at hand."""
    key = serialization.load_pem_private_key(
        ca.encrypted_key_pem.encode(), settings.CA_KEY_PASSPHRASE.encode()
    )
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"CA {ca.slug} holds an unexpected key type")
    return key


def _unused_serial(issuer: CertificateAuthority) -> int:
    """RFC 5280 4.1.2.2 / BR 7.1: positive, 64+ bits of CSPRNG output, unique for the issuer."""
    # The issuer's certificates belong to every account, so the check looks at all of them.
    with scopes_disabled():
        while True:
            serial = x509.random_serial_number()
            if not Certificate.objects.filter(issuer=issuer, serial=serial_hex(serial)).exists():
                return serial


def _validity_end(
    product: Product, now: datetime, not_before: datetime, requested: datetime | None
) -> datetime:
    """LIFE-9: a publicly trusted TLS certificate ends at the earlier of the wanted end and BR 6.3.2's limit."""
    if not product.publicly_trusted_tls:
        return requested or now + DEFAULT_VALIDITY
    wanted = requested or _add_months(now, _shortest_period(product))
    return min(wanted, not_before + default_tls_validity(now))


def _shortest_period(product: Product) -> int:
    months = product.periods.order_by("months").values_list("months", flat=True).first()
    return months or 12


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
