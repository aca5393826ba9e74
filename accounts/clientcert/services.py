"""Login certificates (ACC-7) and the administrators' certificate actions (ADM-3).

Issuing takes one of two ways:
- the key is made in the user's browser (Web Crypto): the browser sends a CSR, through a
  single-use enrolment link an administrator sent, or from the user's own page before their first
  certificate; the private key never reaches the portal;
- an administrator makes a PKCS#12 file protected by a password they type: the key is generated
  here for that file only and never stored.

A user holds at most one usable certificate: issuing a new one revokes the others ("superseded").
Once a user holds a certificate, their password stops opening anything (accounts.adapter refuses
password logins; it is made unusable here). Each change runs in one transaction under a row lock
on the user, is idempotent, ends the user's sessions where it takes access away (ACC-9) and writes
an audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, CertificateEnrolment, ClientCertificate, User
from accounts.services import end_sessions

from . import ca

State = ClientCertificate.State
Method = ClientCertificate.Method
USABLE = (State.ACTIVE, State.SUSPENDED)
PKCS12_KDF_ROUNDS = 200_000
MIN_PKCS12_PASSWORD = 12


class CertificateRequestError(ValueError):
    """The browser's CSR cannot be signed; the message says why (shown to the user)."""


def validity() -> timedelta:
    return timedelta(days=getattr(settings, "CLIENT_CERT_VALIDITY_DAYS", 365))


def enrolment_lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "CLIENT_CERT_ENROLMENT_DAYS", 7))


def is_certificate_account(user: User) -> bool:
    account = user.account if user.account_id else None
    return account is not None and account.auth_type == Account.AuthType.CERTIFICATE


def certificate_required(user: User) -> bool:
    """ACC-7: this user logs in with their certificate only: a user of a certificate-login account
    who was issued one. Before their first certificate (the super user right after validation) a
    password login leads nowhere but to making it (accounts.clientcert.middleware)."""
    if not is_certificate_account(user):
        return False
    # Called during the login, before any account scope is open.
    with scopes_disabled():
        return ClientCertificate.objects.filter(user=user).exists()


def _lock(user: User) -> User:
    return User.objects.select_for_update(of=("self",)).select_related("account").get(pk=user.pk)


def _unused_serial() -> int:
    """RFC 5280 4.1.2.2: positive, 64+ random bits, unique for the issuer."""
    with scopes_disabled():  # serials are unique across every account
        while True:
            serial = x509.random_serial_number()
            if not ClientCertificate.objects.filter(serial=f"{serial:x}").exists():
                return serial


def _cancel_pending_enrolments(user: User, *, keep: CertificateEnrolment | None = None) -> None:
    now = timezone.now()
    pending = CertificateEnrolment.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)
    if keep is not None:
        pending = pending.exclude(pk=keep.pk)
    pending.update(expires_at=now)


def _revoke_usable(user: User, reason: str) -> list[str]:
    """Revoke every active or suspended certificate of `user`; the serials revoked."""
    serials = list(
        ClientCertificate.objects.filter(user=user, state__in=USABLE).values_list("serial", flat=True)
    )
    ClientCertificate.objects.filter(user=user, state__in=USABLE).update(
        state=State.REVOKED, revoked_at=timezone.now(), reason=reason
    )
    return serials


def _record(
    user: User,
    public_key: CertificatePublicKeyTypes,
    method: str,
    *,
    by: User | None,
    request: HttpRequest | None,
    enrolment: CertificateEnrolment | None = None,
) -> tuple[ClientCertificate, x509.Certificate]:
    """Sign and store a new certificate for the locked `user`; revoke the ones it replaces. A
    blocked user is reactivated: ACC-7 reactivation is the issue of a new certificate."""
    signed = ca.sign_login_certificate(user, public_key, serial=_unused_serial(), validity=validity())
    superseded = _revoke_usable(user, "superseded")
    _cancel_pending_enrolments(user, keep=enrolment)
    reactivated = not user.is_active
    fields = []
    if reactivated:
        user.is_active = True
        fields.append("is_active")
    if user.has_usable_password():
        user.set_unusable_password()  # ACC-7: the certificate replaces the password
        fields.append("password")
    if fields:
        user.save(update_fields=fields)
    cert = signed.certificate
    assert user.account_id is not None  # login certificates are for the users of an account
    record = ClientCertificate.objects.create(
        account_id=user.account_id,
        user=user,
        username=user.username,
        serial=signed.serial_hex,
        fingerprint_sha256=signed.fingerprint_sha256,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        state=State.ACTIVE,
        method=method,
        pem=signed.pem,
        created_by=by,
    )
    log_action(
        "clientcert.issued",
        account=user.account,
        user=by,
        obj=user,
        request=request,
        actor_name="" if by else user.username,
        username=user.username,
        method=method,
        serial=record.serial,
        fingerprint_sha256=record.fingerprint_sha256,
        superseded=superseded,
    )
    if reactivated:
        log_action(
            "clientcert.reactivated",
            account=user.account,
            user=by,
            obj=user,
            request=request,
            actor_name="" if by else user.username,
            username=user.username,
            serial=record.serial,
        )
    return record, cert


# --- Issuing --------------------------------------------------------------------------------------


def issue_pkcs12(
    user: User, password: str, *, by: User, request: HttpRequest | None = None
) -> tuple[ClientCertificate, bytes]:
    """ADM-3: a new certificate for `user` in a PKCS#12 file protected by `password`.

    The key (ECDSA P-256) is generated for this file only and never stored; the file holds the key,
    the certificate and the issuing CA, encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC) and
    MAC'd with HMAC-SHA256. Issuing to a blocked user reactivates them (ACC-7).
    """
    if len(password) < MIN_PKCS12_PASSWORD:
        raise ValueError("the PKCS#12 password is too short")
    key = ec.generate_private_key(ec.SECP256R1())
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        record, cert = _record(locked, key.public_key(), Method.PKCS12, by=by, request=request)
    issuing = ca.chain()[0]
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    data = pkcs12.serialize_key_and_certificates(
        f"{user.username} (portal login)".encode(), key, cert, [issuing], encryption
    )
    user.refresh_from_db()
    return record, data


def check_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """The browser's CSR (PKCS#10, RFC 2986): readable, self-signed by its key (proof of
    possession), an ECDSA P-256/P-384 or an RSA key of 2048 bits or more. Its subject is ignored:
    the certificate's names come from the user record."""
    try:
        csr = x509.load_pem_x509_csr((csr_pem or "").strip().encode())
    except ValueError:
        raise CertificateRequestError(_("This is not a certificate request (CSR).")) from None
    if not csr.is_signature_valid:
        raise CertificateRequestError(_("The request's signature does not match its key."))
    key = csr.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ("secp256r1", "secp384r1"):
            raise CertificateRequestError(_("Use a P-256 or P-384 elliptic-curve key."))
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CertificateRequestError(_("An RSA key needs at least 2048 bits."))
    else:
        raise CertificateRequestError(_("Use an elliptic-curve (P-256, P-384) or RSA key."))
    return csr


def issue_from_csr(
    user: User,
    csr_pem: str,
    *,
    by: User | None,
    request: HttpRequest | None = None,
    enrolment: CertificateEnrolment | None = None,
) -> ClientCertificate:
    """ACC-7 / ADM-3: a certificate for the key the user made in their browser.

    `enrolment` is the link used (marked used here, under its row lock, so a link serves once);
    without one, the user issues their own first certificate (`may_self_enrol`).
    """
    csr = check_csr(csr_pem)
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        if enrolment is not None:
            link = CertificateEnrolment.objects.select_for_update().get(pk=enrolment.pk)
            if link.used_at is not None or link.expires_at <= timezone.now() or link.user_id != locked.pk:
                raise CertificateRequestError(_("This link was already used or has expired."))
        elif not may_self_enrol(locked):
            raise CertificateRequestError(
                _("You already hold a certificate; ask an administrator for a new one.")
            )
        record, _cert = _record(
            locked, csr.public_key(), Method.BROWSER, by=by, request=request, enrolment=enrolment
        )
        if enrolment is not None:
            link.used_at = timezone.now()
            link.certificate = record
            link.save(update_fields=["used_at", "certificate"])
    user.refresh_from_db()
    return record


def may_self_enrol(user: User) -> bool:
    """A user of a certificate-login account makes their own first certificate (the super user
    after validation, who has nobody to issue it); after that, only an administrator issues."""
    return is_certificate_account(user) and user.is_active and not certificate_required(user)


def create_enrolment(
    user: User, *, by: User, request: HttpRequest | None = None
) -> tuple[CertificateEnrolment, str]:
    """ADM-3: a single-use link for `user` to make their key in their browser, emailed to them.

    Returns the link record and its URL (also shown once to the administrator, who may hand it
    over another way); only the token's SHA-256 is stored.
    """
    raw = secrets.token_urlsafe(32)
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        _cancel_pending_enrolments(locked)
        account = locked.account
        assert account is not None and locked.account_id is not None  # enrolment: account users only
        enrolment = CertificateEnrolment.objects.create(
            account_id=locked.account_id,
            user=locked,
            token_sha256=hashlib.sha256(raw.encode()).hexdigest(),
            created_by=by,
            expires_at=timezone.now() + enrolment_lifetime(),
        )
        url = settings.SITE_URL + reverse("clientcert:enrol", args=[raw])
        log_action(
            "clientcert.enrolment_created",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
            expires_at=enrolment.expires_at.isoformat(),
        )
        if locked.email:
            send_mail_on_commit(
                "clientcert_enrolment",
                [locked.email],
                {
                    "first_name": locked.first_name,
                    "username": locked.username,
                    "account_name": account.name,
                    "created_by": by.get_full_name() or by.username,
                    "url": url,
                    "valid_days": enrolment_lifetime().days,
                },
                locked.language,
            )
    return enrolment, url


def open_enrolment(raw: str) -> CertificateEnrolment | None:
    """The unused, unexpired enrolment link of this token, or None."""
    digest = hashlib.sha256((raw or "").encode()).hexdigest()
    # The link is opened by someone not logged in: the token designates the account.
    with scopes_disabled():
        enrolment = (
            CertificateEnrolment.objects.select_related("user", "user__account", "account")
            .filter(token_sha256=digest)
            .first()
        )
    if enrolment is None or enrolment.used_at is not None or enrolment.expires_at <= timezone.now():
        return None
    if not is_certificate_account(enrolment.user):
        return None
    return enrolment


# --- Taking access away ----------------------------------------------------------------------------


def panic(user: User, *, request: HttpRequest | None = None) -> bool:
    """ACC-7 panic button: the user blocks their own access and revokes their certificates at once.

    Every session of theirs ends; pending enrolment links die; only an administrator reactivates
    them, with a new certificate. Idempotent: False when already blocked with nothing to revoke.
    """
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        revoked = _revoke_usable(locked, "panic")
        _cancel_pending_enrolments(locked)
        if not revoked and not locked.is_active:
            return False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        end_sessions(locked)
        log_action(
            "clientcert.panic",
            account=locked.account,
            user=locked,
            obj=locked,
            request=request,
            username=locked.username,
            revoked=revoked,
        )
    user.refresh_from_db()
    return True


def suspend(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ADM-3 (orange): suspend the user's active certificate; their sessions end. Idempotent."""
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        serials = list(
            ClientCertificate.objects.filter(user=locked, state=State.ACTIVE).values_list("serial", flat=True)
        )
        if not serials:
            return False
        ClientCertificate.objects.filter(user=locked, state=State.ACTIVE).update(state=State.SUSPENDED)
        _cancel_pending_enrolments(locked)
        end_sessions(locked)
        log_action(
            "clientcert.suspended",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
            serials=serials,
        )
    return True


def revoke_and_block(user: User, *, by: User, request: HttpRequest | None = None) -> bool:
    """ADM-3 (red): revoke the user's certificates and block their access; their sessions end.
    Only a new certificate (`issue_pkcs12`, `create_enrolment`) reactivates them. Idempotent."""
    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        revoked = _revoke_usable(locked, "revoked_by_administrator")
        _cancel_pending_enrolments(locked)
        if not revoked and not locked.is_active:
            return False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        end_sessions(locked)
        log_action(
            "clientcert.revoked",
            account=locked.account,
            user=by,
            obj=locked,
            request=request,
            username=locked.username,
            revoked=revoked,
            blocked=True,
        )
    user.refresh_from_db()
    return True


def delete_user(user: User, *, by: User, request: HttpRequest | None = None) -> None:
    """ADM-3: revoke the user's certificates, then delete the user (ADM-1). The certificate records
    stay, revoked, with the username, for the audit trail."""
    from accounts.administration import services as administration

    with scope(account=user.account_id), transaction.atomic():
        locked = _lock(user)
        revoked = _revoke_usable(locked, "user_deleted")
        if revoked:
            log_action(
                "clientcert.revoked",
                account=locked.account,
                user=by,
                obj=locked,
                request=request,
                username=locked.username,
                revoked=revoked,
                blocked=False,
            )
        administration.delete_user(locked, by=by, request=request)
