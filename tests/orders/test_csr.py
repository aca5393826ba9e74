"""ORD-6: CSR checks, each refusal with its own code and message; accepted CSRs described back."""

from __future__ import annotations

import math

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from orders.csr import CsrError, parse_csr, public_key_sha256
from tests.factories import make_csr, make_key

pytestmark = pytest.mark.django_db


def _csr(key, *, common_name: str = "www.acme.test", algorithm=None) -> str:
    """A CSR signed by `key`, whatever its type (make_csr always uses SHA-256)."""
    if algorithm is None and not isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = hashes.SHA256()
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode()


def _refusal(text: str) -> CsrError:
    with pytest.raises(CsrError) as caught:
        parse_csr(text)
    assert caught.value.message == str(caught.value) and caught.value.message
    return caught.value


def _der_to_pem(der: bytes) -> str:
    csr = x509.load_der_x509_csr(der)
    return csr.public_bytes(serialization.Encoding.PEM).decode()


class TestAccepted:
    def test_rsa_2048_with_subject_and_sans(self):
        key = make_key("rsa2048")
        info = parse_csr(
            make_csr("www.acme.test", ["acme.test", "shop.acme.test"], key=key, org="Acme Hosting")
        )
        assert info.common_name == "www.acme.test"
        assert info.sans == ["www.acme.test", "acme.test", "shop.acme.test"]
        assert info.subject == [("CN", "www.acme.test"), ("O", "Acme Hosting")]
        assert info.key_description == "RSA 2048"
        assert info.signature_hash == "sha256"
        assert info.public_key_sha256 == public_key_sha256(key.public_key())
        assert info.pem.startswith("-----BEGIN CERTIFICATE REQUEST-----\n")

    def test_rsa_3072(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        assert parse_csr(make_csr("a.acme.test", key=key)).key_description == "RSA 3072"

    @pytest.mark.parametrize(("kind", "label"), [("p256", "EC P-256"), ("p384", "EC P-384")])
    def test_ec_curves(self, kind, label):
        info = parse_csr(make_csr("ec.acme.test", key=make_key(kind)))
        assert info.key_description == label
        assert info.sans == ["ec.acme.test"]

    def test_new_certificate_request_header_crlf_and_whitespace(self):
        pem = make_csr("old.acme.test").replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
        info = parse_csr("\r\n  " + pem.replace("\n", "\r\n") + "\r\n\r\n")
        assert info.common_name == "old.acme.test"
        assert info.pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")

    def test_without_san_or_cn(self):
        key = make_key("p256")
        builder = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")])
        )
        info = parse_csr(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
        assert (info.common_name, info.sans, info.subject) == ("", [], [("O", "Acme")])


class TestFraming:
    def test_garbage_text(self):
        error = _refusal("hello, here is my certificate!")
        assert error.code == "garbage"
        assert "not a certificate signing request" in error.message

    def test_empty(self):
        assert _refusal("   ").code == "garbage"

    def test_missing_header_and_footer(self):
        body = "".join(make_csr("a.acme.test").splitlines()[1:-1])
        error = _refusal(body)
        assert error.code == "framing"
        assert "header and footer" in error.message

    def test_certificate_instead_of_request(self):
        pem = make_csr("a.acme.test").replace("CERTIFICATE REQUEST", "CERTIFICATE")
        error = _refusal(pem)
        assert error.code == "framing"
        assert "“CERTIFICATE”" in error.message

    def test_private_key_is_refused_with_a_warning(self):
        pem = (
            make_key("p256")
            .private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode()
        )
        error = _refusal(pem)
        assert (error.code, "Never send your private key" in error.message) == ("framing", True)

    def test_footer_missing(self):
        pem = make_csr("a.acme.test").replace("-----END CERTIFICATE REQUEST-----", "")
        assert _refusal(pem).code == "framing"

    def test_text_around_the_block(self):
        assert _refusal("Here it is:\n" + make_csr("a.acme.test")).code == "framing"

    def test_two_blocks(self):
        assert _refusal(make_csr("a.acme.test") + make_csr("b.acme.test")).code == "framing"

    def test_too_large(self):
        pem = make_csr("a.acme.test")
        error = _refusal(pem + "\n" * (16 * 1024 - len(pem) + 1))
        assert error.code == "too_large"
        assert "16 KiB" in error.message

    def test_exactly_16_kib_passes_the_size_check(self):
        pem = make_csr("a.acme.test")
        assert parse_csr(pem + " " * (16 * 1024 - len(pem))).common_name == "a.acme.test"

    def test_bad_base64(self):
        lines = make_csr("a.acme.test").splitlines()
        lines[2] = lines[2][:10] + "!" + lines[2][11:]
        error = _refusal("\n".join(lines))
        assert (error.code, "base64" in error.message) == ("garbage", True)

    def test_base64_that_is_not_a_csr(self):
        error = _refusal(
            "-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE REQUEST-----"
        )
        assert error.code == "garbage"


class TestSignature:
    def test_tampered_signature(self):
        der = bytearray(
            x509.load_pem_x509_csr(make_csr("a.acme.test").encode()).public_bytes(serialization.Encoding.DER)
        )
        der[-1] ^= 0x01  # the last byte belongs to the signature BIT STRING
        error = _refusal(_der_to_pem(bytes(der)))
        assert error.code == "signature"
        assert "signature is not valid" in error.message


class TestKeys:
    def test_rsa_1024(self):
        error = _refusal(make_csr("a.acme.test", key=make_key("rsa1024")))
        assert error.code == "rsa_size"
        assert "1024 bits" in error.message

    def test_rsa_exponent_3(self):
        key = rsa.generate_private_key(public_exponent=3, key_size=2048)
        error = _refusal(make_csr("a.acme.test", key=key))
        assert error.code == "rsa_exponent"
        assert "exponent 3 " in error.message

    def test_rsa_small_factor(self):
        """A correctly signed 2048-bit CSR whose modulus is 3 × a 2046-bit prime."""
        q = rsa.generate_private_key(public_exponent=65537, key_size=4092).private_numbers().p
        p, e = 3, 65537
        d = pow(e, -1, math.lcm(p - 1, q - 1))
        numbers = rsa.RSAPrivateNumbers(
            p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
        )
        key = numbers.private_key(unsafe_skip_rsa_key_validation=True)
        assert key.key_size == 2048
        csr = x509.load_pem_x509_csr(make_csr("a.acme.test", key=key).encode())
        assert csr.is_signature_valid  # so only the factor check can refuse it
        error = _refusal(make_csr("a.acme.test", key=key))
        assert error.code == "rsa_small_factor"
        assert "divisible by 3" in error.message

    def test_ec_p192(self):
        error = _refusal(make_csr("a.acme.test", key=make_key("p192")))
        assert error.code == "curve"
        assert "secp192r1" in error.message

    @pytest.mark.parametrize("curve", [ec.SECP521R1(), ec.SECP256K1(), ec.BrainpoolP256R1()])
    def test_other_curves(self, curve):
        assert _refusal(_csr(ec.generate_private_key(curve))).code == "curve"

    def test_ec_point_not_on_curve(self):
        key = make_key("p256")
        der = bytearray(
            x509.load_pem_x509_csr(make_csr("a.acme.test", key=key).encode()).public_bytes(
                serialization.Encoding.DER
            )
        )
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        at = der.find(point)
        der[at + len(point) - 1] ^= 0x01  # change y: the point leaves the curve
        error = _refusal(_der_to_pem(bytes(der)))
        assert error.code == "ec_point"

    def test_dsa(self):
        error = _refusal(_csr(dsa.generate_private_key(key_size=2048)))
        assert error.code == "key_type"
        assert error.message.startswith("DSA keys are refused")

    def test_ed25519(self):
        error = _refusal(_csr(ed25519.Ed25519PrivateKey.generate()))
        assert error.code == "key_type"
        assert error.message.startswith("Ed25519 keys are refused")

    def test_each_refusal_has_its_own_message(self):
        messages = {
            _refusal(_csr(dsa.generate_private_key(key_size=2048))).message,
            _refusal(_csr(ed25519.Ed25519PrivateKey.generate())).message,
            _refusal(make_csr("a.acme.test", key=make_key("rsa1024"))).message,
            _refusal(make_csr("a.acme.test", key=make_key("p192"))).message,
            _refusal("garbage").message,
        }
        assert len(messages) == 5
