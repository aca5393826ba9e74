"""Real TLS servers on loopback for the installation tests (LIFE-4), with certificates from the
embedded CA, and tiny StartTLS responders (SMTP, IMAP, POP3, FTP, XMPP, LDAP, PostgreSQL).

Each server runs in a thread with Python's ssl module as the server side; the portal's probe is
the client. No test lives here: tests/monitoring/test_installation.py and test_installation_views.py use it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from accounts.models import Contact
from orders.ca import get_connector
from orders.ca.embedded import ca_certificate
from orders.models import Certificate, Order, OrderStatus
from tests.factories import make_csr, make_key

PEM = serialization.Encoding.PEM


class Issued:
    """A leaf from the embedded CA with its key, and the PEM files a server loads."""

    def __init__(self, product, cn: str = "www.acme.test", names: tuple[str, ...] = (), **issue_kwargs):
        self.key = make_key("p256")
        connector = get_connector(product.brand)
        self.issued = connector.issue(
            product=product,
            csr_pem=make_csr(cn, key=self.key),
            common_name=cn,
            names=list(names),
            **issue_kwargs,
        )
        self.leaf = x509.load_pem_x509_certificate(self.issued.pem.encode())
        assert self.issued.issuer is not None  # the embedded CA's
        self.intermediate = ca_certificate(self.issued.issuer)

    def key_pem(self) -> str:
        return self.key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def chain_pem(self, *, with_intermediate: bool = True) -> str:
        extra = self.intermediate.public_bytes(PEM).decode() if with_intermediate else ""
        return self.issued.pem + extra

    def store(self, account, product) -> Certificate:
        """The orders.Certificate of a delivered order of `account`."""
        contact = Contact.objects.filter(account=account).first()
        assert contact is not None, "the account has a contact"
        order = Order.objects.create(
            account=account,
            product=product,
            period_months=12,
            price_excl_vat=Decimal("100.00"),
            status=OrderStatus.DELIVERED_PAID,
            organisation=account.holder,
            admin_contact=contact,
            technical_contact=contact,
            common_name=self.issued.common_name,
        )
        return Certificate.objects.create(account=account, order=order, **self.issued.certificate_fields())


def self_signed(cn: str = "www.acme.test", *, ca: bool = False, issuer=None):
    """(certificate, key) made with cryptography: self-signed, or signed by `issuer` = (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = timezone.now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), critical=False
        )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return cert, key


def pem_of(cert: x509.Certificate, key) -> tuple[str, str]:
    return (
        cert.public_bytes(PEM).decode(),
        key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
    )


# StartTLS responders: the server's side of each protocol's plain-text start ---------------------


def _line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            raise ConnectionError("client left")
        data += chunk
    return data


def _until(conn: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = conn.recv(1)
        if not chunk:
            raise ConnectionError("client left")
        data += chunk
    return data


def smtp(conn, offer: bool = True, inject: bool = False) -> None:
    conn.sendall(b"220 mail.acme.test ESMTP test server\r\n")
    assert _line(conn).startswith(b"EHLO ")
    conn.sendall(
        b"250-mail.acme.test\r\n250-PIPELINING\r\n" + (b"250 STARTTLS\r\n" if offer else b"250 8BITMIME\r\n")
    )
    assert _line(conn) == b"STARTTLS\r\n"
    conn.sendall(b"220 2.0.0 Ready to start TLS\r\n" + (b"250 injected\r\n" if inject else b""))


def smtp_without_starttls(conn) -> None:
    smtp(conn, offer=False)


def smtp_injecting(conn) -> None:
    smtp(conn, inject=True)


def imap(conn) -> None:
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
    tag = _line(conn).split(b" ", 1)[0]
    conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" OK Begin TLS negotiation now\r\n")


def pop3(conn) -> None:
    conn.sendall(b"+OK POP3 ready\r\n")
    assert _line(conn) == b"STLS\r\n"
    conn.sendall(b"+OK Begin TLS negotiation\r\n")


def ftp(conn) -> None:
    conn.sendall(b"220-Welcome\r\n220 FTP ready\r\n")
    assert _line(conn) == b"AUTH TLS\r\n"
    conn.sendall(b"234 AUTH TLS successful\r\n")


def xmpp(conn) -> None:
    _until(conn, b"version='1.0'>")
    conn.sendall(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="
        b"'http://etherx.jabber.org/streams' id='s1' from='acme.test' version='1.0'><stream:features>"
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
    )
    _until(conn, b"/>")
    conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")


def ldap(conn) -> None:
    request = conn.recv(64)
    assert b"1.3.6.1.4.1.1466.20037" in request
    # LDAPMessage { messageID 1, ExtendedResponse { resultCode success, matchedDN "", diagnosticMessage "" } }
    conn.sendall(bytes.fromhex("300c02010178070a010004000400"))


def postgres(conn, answer: bytes = b"S") -> None:
    assert conn.recv(8) == struct.pack("!II", 8, 80877103)
    conn.sendall(answer)


def postgres_without_tls(conn) -> None:
    postgres(conn, b"N")


RESPONDERS = {
    "smtp": smtp,
    "imap": imap,
    "pop3": pop3,
    "ftp": ftp,
    "xmpp": xmpp,
    "ldap": ldap,
    "postgres": postgres,
}


class TlsServer:
    """A TLS server on 127.0.0.1 in a thread, serving `chain_pem` (leaf first) with `key_pem`,
    after `preamble(conn)` if given (a StartTLS responder). `plain` answers in clear text instead."""

    def __init__(
        self,
        tmp_path: Path,
        chain_pem: str = "",
        key_pem: str = "",
        *,
        preamble=None,
        plain: bytes | None = None,
    ):
        self.preamble, self.plain = preamble, plain
        self.context = None
        if chain_pem:
            cert_file, key_file = tmp_path / "chain.pem", tmp_path / "key.pem"
            cert_file.write_text(chain_pem)
            key_file.write_text(key_pem)
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.errors: list[BaseException] = []
        self.handshakes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self._handle(conn)
                except (OSError, AssertionError, ConnectionError) as exc:
                    self.errors.append(exc)

    def _handle(self, conn: socket.socket) -> None:
        if self.preamble:
            self.preamble(conn)
        if self.plain is not None:
            conn.recv(4096)
            conn.sendall(self.plain)
            return
        assert self.context is not None  # set whenever no plain answer is
        with self.context.wrap_socket(conn, server_side=True) as tls:
            self.handshakes += 1
            with contextlib.suppress(OSError):  # ssl.SSLError is an OSError
                tls.recv(1)  # until the client closes


class SilentServer:
    """Accepts connections (the kernel's backlog does) and never says a word: a timeout."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]
