"""The ACME-client connector (AUTO-4 [beyond]): a brand served by an outside CA speaking ACME
(RFC 8555) with External Account Binding (RFC 8555 7.3.4), through certbot's `acme.client.ClientV2`.

`issue` registers the portal's account on first use (an ECDSA P-256 key made here, bound to the
EAB key id and HMAC key the CA gave), orders the CSR's names, answers each name's http-01 challenge
through the portal's own responder (orders.ca.http01: the DCV the portal did does not transfer to
the outside CA), finalizes with the order's CSR and downloads the chain. Everything the CA or the
network does wrong is raised as UpstreamError with a reason for the staff; the caller
(orders.services.upstream) keeps it on the order and offers a retry.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import josepy as jose
import requests
from acme import challenges, client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from orders.csr import parse_csr, public_key_sha256
from orders.models import Certificate, RevocationReason, UpstreamAcmeAccount

from . import http01, secrets
from .base import IssuedCertificate
from .embedded import EmbeddedCA, serial_hex

if TYPE_CHECKING:
    from accounts.models import Organisation
    from catalog.models import Product

USER_AGENT = "certificate-portal upstream connector"
# RFC 5280 5.3.1 reason codes, as the ACME revokeCert request carries them (RFC 8555 7.6).
REASON_CODES = {
    RevocationReason.UNSPECIFIED: 0,
    RevocationReason.KEY_COMPROMISE: 1,
    RevocationReason.AFFILIATION_CHANGED: 3,
    RevocationReason.SUPERSEDED: 4,
    RevocationReason.CESSATION_OF_OPERATION: 5,
}


class UpstreamError(Exception):
    """The outside CA did not issue (unreachable, refused, too slow); `message` says why, for staff."""

    def __init__(self, message: str, *, order_url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.order_url = order_url


def _problem(exc: BaseException) -> str:
    """A short reason for staff from what the acme library or requests raised."""
    if isinstance(exc, messages.Error):
        return f"{exc.typ}: {exc.detail}" if exc.detail else str(exc.typ)
    if isinstance(exc, errors.ValidationError):
        reasons = [
            f"{authzr.body.identifier.value}: {chall.error.detail or chall.error.typ}"
            for authzr in exc.failed_authzrs
            for chall in authzr.body.challenges
            if chall.error is not None
        ]
        return _("the CA could not validate the names (%(reasons)s)") % {"reasons": "; ".join(reasons)}
    if isinstance(exc, errors.IssuanceError):
        return _problem(exc.error)
    if isinstance(exc, errors.TimeoutError):
        return _("the CA did not finish in time")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return _("the CA cannot be reached (%(error)s)") % {"error": type(exc).__name__}
    if isinstance(exc, requests.exceptions.RequestException):
        return _("the request to the CA failed (%(error)s)") % {"error": type(exc).__name__}
    return f"{type(exc).__name__}: {exc}"


def csr_names(csr_pem: str) -> set[str]:
    """The DNS names an ACME order for this CSR asks for (its subject CN and SANs, lower case)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    names = {str(attr.value).lower() for attr in csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)}
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names.update(name.lower() for name in san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        pass
    return names


class AcmeClientCA:
    """CAConnector of a brand's outside ACME CA (orders.models.UpstreamAcmeAccount)."""

    remote = True

    def __init__(self, account: UpstreamAcmeAccount) -> None:
        self.account = account

    # Account ---------------------------------------------------------------------------------

    def _verify(self) -> bool | str:
        """requests' `verify`: True (the system's roots) or UPSTREAM_ACME_CA_BUNDLE, for a private CA."""
        bundle: str = settings.UPSTREAM_ACME_CA_BUNDLE
        return bundle or True

    def _key(self) -> jose.JWKEC:
        """The account key, made (and stored encrypted) on first use."""
        if self.account.account_key_encrypted:
            pem = secrets.decrypt(self.account.account_key_encrypted)
            if pem is None:
                raise UpstreamError(_("the ACME account key cannot be read: SECRET_KEY changed"))
            return jose.JWKEC(key=serialization.load_pem_private_key(pem.encode(), None))
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.account.account_key_encrypted = secrets.encrypt(pem)
        self.account.account_url = ""
        UpstreamAcmeAccount.objects.filter(pk=self.account.pk).update(
            account_key_encrypted=self.account.account_key_encrypted, account_url=""
        )
        return jose.JWKEC(key=private)

    def _connect(self, key: jose.JWKEC) -> client.ClientV2:
        net = client.ClientNetwork(
            key, alg=jose.ES256, verify_ssl=cast(bool, self._verify()), user_agent=USER_AGENT, timeout=30
        )
        directory = client.ClientV2.get_directory(self.account.directory_url, net)
        acme = client.ClientV2(directory, net)
        if self.account.account_url:
            net.account = messages.RegistrationResource(
                body=messages.Registration(), uri=self.account.account_url
            )
        return acme

    def client(self) -> client.ClientV2:
        """A client logged in to the CA: the account is registered (with EAB) on first use."""
        if self.account.account_key_encrypted and self.account.account_url:
            return self._connect(self._key())
        # First use: one registration at a time. The row stays locked until the caller's
        # transaction ends, so a concurrent first use waits, then finds the account registered
        # (never two keys, nor an account URL of another key).
        with transaction.atomic():
            self.account = UpstreamAcmeAccount.objects.select_for_update().get(pk=self.account.pk)
            key = self._key()
            acme = self._connect(key)
            if self.account.account_url:
                return acme
            eab: dict[str, Any] | None = None
            if self.account.eab_key_id:
                hmac = secrets.decrypt(self.account.eab_hmac_encrypted)
                if hmac is None:
                    raise UpstreamError(_("the EAB HMAC key cannot be read: enter it again"))
                eab = messages.ExternalAccountBinding.from_data(
                    account_public_key=key.public_key(),
                    kid=self.account.eab_key_id,
                    hmac_key=hmac,
                    directory=acme.directory,
                )
            registration = messages.NewRegistration.from_data(
                email=self.account.contact_email or None,
                terms_of_service_agreed=True,
                external_account_binding=eab,
            )
            regr = acme.new_account(registration)
            self.account.account_url = regr.uri or ""
            UpstreamAcmeAccount.objects.filter(pk=self.account.pk).update(
                account_url=self.account.account_url
            )
        return acme

    # Issuance --------------------------------------------------------------------------------

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
        """Order, validate (http-01), finalize and download at the outside CA.

        The CA signs the CSR's names with its own profile and validity: an ACME order names its
        identifiers from the CSR (RFC 8555 7.4), so a CSR that does not name every domain of the
        portal order is refused here rather than issued short of a name. Raises CsrError for a
        CSR the portal refuses (ORD-6), UpstreamError for everything the CA says or does not say.
        """
        parsed = parse_csr(csr_pem)  # ORD-6 again: nothing unchecked goes out
        wanted = {name.lower() for name in [common_name, *names] if name}
        if csr_names(parsed.pem) != wanted:
            raise UpstreamError(
                _("the CSR must name exactly the order's domains for an outside CA (%(names)s)")
                % {"names": ", ".join(sorted(wanted))}
            )
        published: list[str] = []
        order_url = ""
        try:
            acme = self.client()
            order = acme.new_order(parsed.pem.encode())
            order_url = order.uri or ""
            key = acme.net.key
            assert key is not None  # self.client() logged in with the account key
            for authzr in order.authorizations:
                if authzr.body.status == messages.STATUS_VALID:
                    continue
                challenge = next(
                    (c for c in authzr.body.challenges if isinstance(c.chall, challenges.HTTP01)), None
                )
                if challenge is None:
                    raise UpstreamError(
                        _("the CA offers no http-01 challenge for %(name)s")
                        % {"name": authzr.body.identifier.value},
                        order_url=order_url,
                    )
                chall = cast(challenges.HTTP01, challenge.chall)
                response, validation = chall.response_and_validation(key)
                token = chall.encode("token")
                http01.publish(token, validation)
                published.append(token)
                acme.answer_challenge(challenge, response)
            deadline = dt.datetime.now() + dt.timedelta(seconds=settings.UPSTREAM_ACME_TIMEOUT)
            finished = acme.poll_and_finalize(order, deadline)
        except UpstreamError:
            raise
        except (errors.Error, messages.Error, requests.exceptions.RequestException, jose.Error) as exc:
            raise UpstreamError(_problem(exc), order_url=order_url) from exc
        finally:
            for token in published:
                http01.withdraw(token)
        return self._issued(finished.fullchain_pem, common_name, order_url)

    def _issued(self, fullchain_pem: str, common_name: str, order_url: str) -> IssuedCertificate:
        try:
            leaf, *chain = x509.load_pem_x509_certificates(fullchain_pem.encode())
        except ValueError as exc:
            raise UpstreamError(_("the CA sent no readable certificate"), order_url=order_url) from exc
        algorithm = leaf.signature_hash_algorithm
        return IssuedCertificate(
            pem=leaf.public_bytes(serialization.Encoding.PEM).decode(),
            serial_hex=serial_hex(leaf.serial_number),
            not_before=leaf.not_valid_before_utc,
            not_after=leaf.not_valid_after_utc,
            issuer=None,
            fingerprint_sha256=leaf.fingerprint(hashes.SHA256()).hex(),
            public_key_sha256=public_key_sha256(leaf.public_key()),
            hash_algorithm=algorithm.name if algorithm is not None else "",
            common_name=common_name,
            chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain),
            issuer_name=leaf.issuer.rfc4514_string()[:250],
        )

    # Revocation and chain --------------------------------------------------------------------

    def revoke(self, certificate: Certificate, reason: str, when: datetime | None = None) -> Certificate:
        """LIFE-5 at the outside CA (RFC 8555 7.6, signed by the account that ordered it), then
        marked revoked here; idempotent. Raises UpstreamError when the CA cannot be reached."""
        if certificate.state != Certificate.State.REVOKED:
            self.revoke_at_ca(certificate, reason)
        return EmbeddedCA().revoke(certificate, reason, when)

    def revoke_at_ca(self, certificate: Certificate, reason: str) -> None:
        """RFC 8555 7.6 revokeCert at the outside CA only; a certificate it already revoked is fine."""
        leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
        try:
            self.client().revoke(leaf, REASON_CODES.get(RevocationReason(reason), 0))
        except messages.Error as exc:
            if exc.code != "alreadyRevoked":
                raise UpstreamError(_problem(exc)) from exc
        except (errors.Error, requests.exceptions.RequestException, jose.Error) as exc:
            raise UpstreamError(_problem(exc)) from exc

    def chain(
        self,
        certificate_or_issuer: Any,
    ) -> list[x509.Certificate]:
        """The CA certificates the outside CA sent with the certificate, issuing CA first."""
        return chain_from_pem(getattr(certificate_or_issuer, "chain_pem", ""))


def chain_from_pem(chain_pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(chain_pem.encode()) if chain_pem else []
