"""The plain-text start of each StartTLS protocol (MON-2), up to where the TLS handshake begins.

SMTP RFC 3207, IMAP RFC 2595 / RFC 9051 6.2.1, POP3 RFC 2595 (STLS), FTP RFC 4217 (AUTH TLS),
XMPP RFC 6120 5.4, LDAP RFC 4511 4.14 (StartTLS extended operation), PostgreSQL protocol 53.2.9
(SSLRequest). Each function leaves the socket right before the client's first TLS byte; anything
the server sent beyond its "go ahead" is refused, as it would be read as part of the TLS stream
(the STARTTLS command injection of CVE-2011-0411).
"""

from __future__ import annotations

import socket
import struct
from xml.sax.saxutils import quoteattr

MAX_PREAMBLE = 64 * 1024  # a server talking more than this before TLS is not what we expect
EHLO_NAME = "portal.invalid"  # RFC 2606: names nothing, reveals nothing about our network
LDAP_STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
POSTGRES_SSL_REQUEST = struct.pack("!II", 8, 80877103)
XMPP_TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"


class StartTlsRefused(Exception):
    """The server did not agree to start TLS; `answer` is what it said (shortened)."""

    def __init__(self, protocol: str, answer: str) -> None:
        super().__init__(f"{protocol}: {answer}")
        self.protocol = protocol
        self.answer = answer[:200]


class _Wire:
    """A buffered reader over a blocking socket (the caller sets its timeout)."""

    def __init__(self, sock: socket.socket, protocol: str) -> None:
        self.sock = sock
        self.protocol = protocol
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(4096)
        if not chunk:
            raise StartTlsRefused(self.protocol, "connection closed by the server")
        self.buffer += chunk
        if len(self.buffer) > MAX_PREAMBLE:
            raise StartTlsRefused(self.protocol, "the server sent too much before TLS")

    def read_line(self) -> str:
        while b"\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_until(self, *markers: bytes) -> bytes:
        """Everything up to and including the first of `markers`."""
        while True:
            found = [(self.buffer.find(m), m) for m in markers if m in self.buffer]
            if found:
                index, marker = min(found)
                end = index + len(marker)
                data, self.buffer = self.buffer[:end], self.buffer[end:]
                return data
            self._fill()

    def read_reply(self) -> tuple[str, str]:
        """A numbered SMTP or FTP reply, multi-line ("250-...") included: (code, last line)."""
        while True:
            line = self.read_line()
            if len(line) < 3 or not line[:3].isdigit():
                raise StartTlsRefused(self.protocol, line)
            if line[3:4] != "-":
                return line[:3], line

    def ready(self) -> None:
        """The server said "go ahead": nothing else may have come before the handshake."""
        if self.buffer:
            raise StartTlsRefused(self.protocol, "the server sent data after agreeing to start TLS")


def _smtp(wire: _Wire, server_name: str) -> None:
    code, line = wire.read_reply()
    if code != "220":
        raise StartTlsRefused("SMTP", line)
    wire.send(f"EHLO {EHLO_NAME}\r\n".encode())
    capabilities = []
    while True:
        line = wire.read_line()
        if not line.startswith("250"):
            raise StartTlsRefused("SMTP", line)
        capabilities.append(line[4:].strip().upper())
        if line[3:4] != "-":
            break
    if "STARTTLS" not in capabilities:
        raise StartTlsRefused("SMTP", "STARTTLS is not offered")
    wire.send(b"STARTTLS\r\n")
    code, line = wire.read_reply()
    if code != "220":
        raise StartTlsRefused("SMTP", line)


def _imap(wire: _Wire, server_name: str) -> None:
    greeting = wire.read_line()
    if not greeting.upper().startswith("* OK"):
        raise StartTlsRefused("IMAP", greeting)
    wire.send(b"a1 STARTTLS\r\n")
    while True:
        line = wire.read_line()
        if line.startswith("* "):
            continue  # untagged data, e.g. a capability list
        if line.upper().startswith("A1 OK"):
            return
        raise StartTlsRefused("IMAP", line)


def _pop3(wire: _Wire, server_name: str) -> None:
    greeting = wire.read_line()
    if not greeting.startswith("+OK"):
        raise StartTlsRefused("POP3", greeting)
    wire.send(b"STLS\r\n")
    answer = wire.read_line()
    if not answer.startswith("+OK"):
        raise StartTlsRefused("POP3", answer)


def _ftp(wire: _Wire, server_name: str) -> None:
    code, line = wire.read_reply()
    if code != "220":
        raise StartTlsRefused("FTP", line)
    wire.send(b"AUTH TLS\r\n")
    code, line = wire.read_reply()
    if code != "234":
        raise StartTlsRefused("FTP", line)


def _xmpp(wire: _Wire, server_name: str) -> None:
    wire.send(
        (
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            f"xmlns:stream='http://etherx.jabber.org/streams' to={quoteattr(server_name)} version='1.0'>"
        ).encode()
    )
    features = wire.read_until(b"</stream:features>", b"</stream:stream>").decode("utf-8", "replace")
    if XMPP_TLS_NS not in features:
        raise StartTlsRefused("XMPP", "STARTTLS is not offered")
    wire.send(f"<starttls xmlns='{XMPP_TLS_NS}'/>".encode())
    answer = wire.read_until(b"/>", b"</failure>").decode("utf-8", "replace")
    if "<proceed" not in answer:
        raise StartTlsRefused("XMPP", answer)


def _ber(tag: int, content: bytes) -> bytes:
    """One BER element with a definite length (short or long form)."""
    if len(content) < 0x80:
        length = bytes([len(content)])
    else:
        size = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(size)]) + size
    return bytes([tag]) + length + content


def _ber_read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the element at `offset`."""
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise ValueError("truncated element")
    return tag, data[offset : offset + length], offset + length


def _ldap(wire: _Wire, server_name: str) -> None:
    # LDAPMessage ::= SEQUENCE { messageID 1, ExtendedRequest [APPLICATION 23] { requestName [0] OID } }
    request = _ber(0x30, _ber(0x02, b"\x01") + _ber(0x77, _ber(0x80, LDAP_STARTTLS_OID)))
    wire.send(request)
    head = wire.read_exact(2)
    if head[0] != 0x30:
        raise StartTlsRefused("LDAP", "not an LDAP answer")
    extra = head[1] & 0x7F if head[1] & 0x80 else 0
    if head[1] & 0x80 and not 0 < extra <= 4:
        raise StartTlsRefused("LDAP", "unexpected length")
    size_bytes = wire.read_exact(extra)
    size = int.from_bytes(size_bytes, "big") if extra else head[1]
    if size > MAX_PREAMBLE:
        raise StartTlsRefused("LDAP", "the answer is too long")
    message = head + size_bytes + wire.read_exact(size)
    try:
        _, body, _ = _ber_read(message, 0)
        _, message_id, offset = _ber_read(body, 0)
        tag, response, _ = _ber_read(body, offset)
        _, result_code, _ = _ber_read(response, 0)
    except (ValueError, IndexError):
        raise StartTlsRefused("LDAP", "malformed answer") from None
    if message_id != b"\x01" or tag != 0x78:
        raise StartTlsRefused("LDAP", "unexpected answer")
    if result_code != b"\x00":
        raise StartTlsRefused("LDAP", f"result code {int.from_bytes(result_code, 'big')}")


def _postgres(wire: _Wire, server_name: str) -> None:
    wire.send(POSTGRES_SSL_REQUEST)
    answer = wire.read_exact(1)
    if answer != b"S":
        raise StartTlsRefused(
            "PostgreSQL", "the server does not accept TLS" if answer == b"N" else repr(answer)
        )


NEGOTIATORS = {
    "smtp": _smtp,
    "imap": _imap,
    "pop3": _pop3,
    "ftp": _ftp,
    "xmpp": _xmpp,
    "ldap": _ldap,
    "postgres": _postgres,
}


def negotiate(protocol: str, sock: socket.socket, server_name: str) -> None:
    """Speak `protocol` on the blocking socket until the server waits for the TLS handshake.

    Raises StartTlsRefused, or OSError/TimeoutError from the socket.
    """
    wire = _Wire(sock, protocol.upper())
    NEGOTIATORS[protocol](wire, server_name)
    wire.ready()
