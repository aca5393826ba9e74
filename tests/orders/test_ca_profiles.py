"""AUTO-4: the embedded CA's leaf profile for every product type (issue 5: order each type, get the certificate).

TLS (server types, PSD2 QWAC), client, code signing and seals (electronic seal, signature, PSD2 QSealC):
subject, SAN presence, KU, EKU, policies, organizationIdentifier, PSD2 QCStatements, and the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store
from pyasn1.codec.der.decoder import decode
from pyasn1.type import univ

from catalog.models import ProductType
from orders.ca import EmbeddedCA, profiles
from tests.factories import make_csr, make_key, make_product

T = ProductType
SITE = "https://portal.example.test"
PSD2_OPTIONS = {
    "psd2_roles": ["PSP_AS", "PSP_AI"],
    "nca_name": "Autorité de contrôle prudentiel et de résolution",
    "nca_id": "FR-ACPR",
    "authorisation_number": "17 328",
}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


@pytest.fixture
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def ca():
    return EmbeddedCA()


def _issue(ca, product, organisation, cn, names, key=None, options=None) -> x509.Certificate:
    key = key or make_key("p256")
    issued = ca.issue(
        product=product,
        csr_pem=make_csr(cn, key=key),
        common_name=cn,
        names=names,
        organisation=organisation,
        options=options,
    )
    leaf = x509.load_pem_x509_certificate(issued.pem.encode())
    assert leaf.public_key() == key.public_key()
    leaf.verify_directly_issued_by(ca.chain(issued)[0])
    list(leaf.extensions)  # cryptography parses every extension it knows
    return leaf


def _ext(cert: x509.Certificate, kind):
    return cert.extensions.get_extension_for_class(kind).value


def _absent(cert: x509.Certificate, kind) -> bool:
    try:
        cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return True
    return False


def _policies(cert: x509.Certificate) -> list[str]:
    return [policy.policy_identifier.dotted_string for policy in _ext(cert, x509.CertificatePolicies)]


def _usages(cert: x509.Certificate) -> dict[str, bool]:
    usage = _ext(cert, x509.KeyUsage)
    return {
        "digital_signature": usage.digital_signature,
        "content_commitment": usage.content_commitment,
        "key_encipherment": usage.key_encipherment,
        "key_agreement": usage.key_agreement,
        "data_encipherment": usage.data_encipherment,
    }


def _verify_server(ca, leaf: x509.Certificate, issued_by, dns_name: str) -> None:
    issuing, root = ca.chain(issued_by)
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(datetime.now(UTC))
        .build_server_verifier(x509.DNSName(dns_name))
    )
    assert verifier.verify(leaf, [issuing]) == [leaf, issuing, root]


def _plain(asn1):
    """A pyasn1 value as plain Python: sequences → lists, OIDs → dotted strings, strings → str."""
    if isinstance(asn1, univ.ObjectIdentifier):
        return ".".join(str(arc) for arc in asn1)
    if isinstance(asn1, univ.SequenceOf | univ.Sequence):
        return [_plain(asn1[index]) for index in range(len(asn1))]
    return str(asn1)


def _qc_statements(cert: x509.Certificate):
    ext = cert.extensions.get_extension_for_oid(profiles.QC_STATEMENTS_OID)
    assert not ext.critical
    assert isinstance(ext.value, x509.UnrecognizedExtension)
    value, rest = decode(ext.value.value)
    assert rest == b""
    return _plain(value)


SERVER_CASES = [
    (T.SERVER_DV, "DV", "2.23.140.1.2.1", "CN=www.acme.test"),
    (T.SERVER_OV, "OV", "2.23.140.1.2.2", "CN=www.acme.test,O=Acme Hosting,L=Paris,C=FR"),
    (T.SERVER_EV, "EV", "2.23.140.1.1", None),
    (T.MULTI_DOMAIN, "OV", "2.23.140.1.2.2", "CN=www.acme.test,O=Acme Hosting,L=Paris,C=FR"),
    (T.WILDCARD, "DV", "2.23.140.1.2.1", "CN=www.acme.test"),
]


class TestTls:
    @pytest.mark.parametrize(("product_type", "validation", "policy", "subject"), SERVER_CASES)
    def test_every_server_type(self, ca, account, product_type, validation, policy, subject):
        product = make_product(f"p-{product_type}", product_type=product_type, validation=validation)
        leaf = _issue(ca, product, account.holder, "www.acme.test", ["acme.test", "shop.acme.test"])
        if subject is not None:
            assert leaf.subject.rfc4514_string() == subject
        else:
            assert (
                leaf.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)[0].value
                == "Private Organization"
            )
            assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "www.acme.test"
        assert not leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert not san.critical
        assert san.value.get_values_for_type(x509.DNSName) == ["www.acme.test", "acme.test", "shop.acme.test"]
        assert list(_ext(leaf, x509.ExtendedKeyUsage)) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert _usages(leaf) == {
            "digital_signature": True,
            "content_commitment": False,
            "key_encipherment": False,
            "key_agreement": False,
            "data_encipherment": False,
        }
        assert _policies(leaf) == [policy]
        with pytest.raises(x509.ExtensionNotFound):
            leaf.extensions.get_extension_for_oid(profiles.QC_STATEMENTS_OID)
        _verify_server(ca, leaf, leaf_issuer(ca, product), "shop.acme.test")

    def test_psd2_qwac(self, ca, account):
        product = make_product("qwac", product_type=T.PSD2, validation="EV", publicly_trusted_tls=True)
        holder = account.holder
        leaf = _issue(ca, product, holder, "bank.acme.test", ["api.acme.test"], options=PSD2_OPTIONS)
        subject = leaf.subject
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "PSDFR-ACPR-17 328"
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "bank.acme.test"
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == holder.name
        assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == holder.registration_number
        assert _ext(leaf, x509.SubjectAlternativeName).get_values_for_type(x509.DNSName) == [
            "bank.acme.test",
            "api.acme.test",
        ]
        assert list(_ext(leaf, x509.ExtendedKeyUsage)) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert _policies(leaf) == ["2.23.140.1.1", "0.4.0.194112.1.4"]
        assert _qc_statements(leaf) == [
            ["0.4.0.1862.1.1"],
            ["0.4.0.1862.1.6", ["0.4.0.1862.1.6.3"]],
            [
                "0.4.0.19495.2",
                [
                    [["0.4.0.19495.1.1", "PSP_AS"], ["0.4.0.19495.1.3", "PSP_AI"]],
                    PSD2_OPTIONS["nca_name"],
                    "FR-ACPR",
                ],
            ],
        ]
        _verify_server(ca, leaf, leaf_issuer(ca, product), "api.acme.test")

    def test_rsa_server_key_keeps_key_encipherment(self, ca, account, product):
        leaf = _issue(ca, product, account.holder, "www.acme.test", [], key=make_key("rsa2048"))
        assert _usages(leaf)["key_encipherment"]


def leaf_issuer(ca, product):
    return ca.authorities(product.brand)[1]


class TestClient:
    @pytest.mark.parametrize(
        ("validation", "policy", "subject"),
        [
            ("IV", "2.23.140.1.5.4.2", "CN=Alice Admin"),
            ("OV", "2.23.140.1.5.2.2", "CN=Alice Admin,O=Acme Hosting,L=Paris,C=FR"),
        ],
    )
    def test_client_certificate(self, ca, account, validation, policy, subject):
        product = make_product(
            f"client-{validation}", product_type=T.CLIENT, validation=validation, publicly_trusted_tls=False
        )
        leaf = _issue(ca, product, account.holder, "Alice Admin", ["admin@acme.test"])
        assert leaf.subject.rfc4514_string() == subject
        assert _ext(leaf, x509.SubjectAlternativeName).get_values_for_type(x509.RFC822Name) == [
            "admin@acme.test"
        ]
        assert list(_ext(leaf, x509.ExtendedKeyUsage)) == [
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ]
        assert _policies(leaf) == [policy]


class TestCodeSigning:
    @pytest.mark.parametrize(("validation", "policy"), [("OV", "2.23.140.1.4.1"), ("EV", "2.23.140.1.3")])
    def test_organisation_is_the_subject_without_san(self, ca, account, validation, policy):
        product = make_product(
            f"cs-{validation}", product_type=T.CODE_SIGNING, validation=validation, publicly_trusted_tls=False
        )
        holder = account.holder
        # The order flow passes the holder's name as common name and as the only "name".
        leaf = _issue(ca, product, holder, holder.name, [holder.name], key=make_key("rsa2048"))
        subject = leaf.subject
        assert [
            (a.oid, a.value)
            for a in subject
            if a.oid
            in {NameOID.COUNTRY_NAME, NameOID.LOCALITY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME}
        ] == [
            (NameOID.COUNTRY_NAME, "FR"),
            (NameOID.LOCALITY_NAME, "Paris"),
            (NameOID.ORGANIZATION_NAME, "Acme Hosting"),
            (NameOID.COMMON_NAME, "Acme Hosting"),
        ]
        assert bool(subject.get_attributes_for_oid(NameOID.JURISDICTION_COUNTRY_NAME)) == (validation == "EV")
        assert _absent(leaf, x509.SubjectAlternativeName)
        assert list(_ext(leaf, x509.ExtendedKeyUsage)) == [ExtendedKeyUsageOID.CODE_SIGNING]
        # CS BR 7.1.2.3: digitalSignature only, even for an RSA key.
        assert _usages(leaf) == {
            "digital_signature": True,
            "content_commitment": False,
            "key_encipherment": False,
            "key_agreement": False,
            "data_encipherment": False,
        }
        assert _policies(leaf) == [policy]


class TestSeals:
    @pytest.mark.parametrize("product_type", [T.SEAL, T.SIGNATURE])
    def test_electronic_seal(self, ca, account, product_type):
        product = make_product(f"seal-{product_type}", product_type=product_type, publicly_trusted_tls=False)
        holder = account.holder
        leaf = _issue(ca, product, holder, holder.name, [holder.name])
        assert leaf.subject.rfc4514_string() == (
            f"CN=Acme Hosting,2.5.4.97=NTRFR-{holder.registration_number},O=Acme Hosting,C=FR"
        )
        assert _absent(leaf, x509.SubjectAlternativeName)
        assert _absent(leaf, x509.ExtendedKeyUsage)
        assert _usages(leaf) == {
            "digital_signature": True,
            "content_commitment": True,
            "key_encipherment": False,
            "key_agreement": False,
            "data_encipherment": False,
        }
        assert _policies(leaf) == [profiles.ETSI_NCP]
        with pytest.raises(x509.ExtensionNotFound):
            leaf.extensions.get_extension_for_oid(profiles.QC_STATEMENTS_OID)

    def test_psd2_qsealc(self, ca, account):
        product = make_product("qsealc", product_type=T.PSD2, publicly_trusted_tls=False)
        holder = account.holder
        options = {**PSD2_OPTIONS, "psd2_roles": ["PSP_IC", "PSP_PI", "PSP_AS"]}
        leaf = _issue(ca, product, holder, holder.name, [holder.name], options=options)
        assert (
            leaf.subject.rfc4514_string() == "CN=Acme Hosting,2.5.4.97=PSDFR-ACPR-17 328,O=Acme Hosting,C=FR"
        )
        assert _absent(leaf, x509.SubjectAlternativeName)
        assert _absent(leaf, x509.ExtendedKeyUsage)
        assert _usages(leaf)["content_commitment"]
        assert _policies(leaf) == [profiles.ETSI_QCP_LEGAL]
        statements = _qc_statements(leaf)
        assert statements[1] == ["0.4.0.1862.1.6", ["0.4.0.1862.1.6.2"]]
        assert statements[2][1][0] == [
            ["0.4.0.19495.1.1", "PSP_AS"],
            ["0.4.0.19495.1.2", "PSP_PI"],
            ["0.4.0.19495.1.4", "PSP_IC"],
        ]

    def test_registry_number_is_written_without_spaces(self, account):
        holder = account.holder
        holder.registration_number, holder.country = "123 456 789", "BE"
        product = make_product("seal", product_type=T.SEAL, publicly_trusted_tls=False)
        assert profiles.organisation_identifier(product, holder, None) == "NTRBE-123456789"


class TestRefusals:
    @pytest.mark.parametrize("product_type", [T.SEAL, T.CODE_SIGNING, T.PSD2])
    def test_organisation_types_need_the_organisation(self, ca, product_type):
        product = make_product("org", product_type=product_type, validation="", publicly_trusted_tls=False)
        with pytest.raises(ValueError, match="organisation"):
            _issue(ca, product, None, "Acme Hosting", [], options=PSD2_OPTIONS)

    @pytest.mark.parametrize(
        ("options", "missing"),
        [
            (None, "nca_id"),
            ({**PSD2_OPTIONS, "authorisation_number": ""}, "authorisation_number"),
            ({**PSD2_OPTIONS, "psd2_roles": []}, "psd2_roles"),
            ({**PSD2_OPTIONS, "psd2_roles": ["PSP_XX"]}, "role"),
            ({**PSD2_OPTIONS, "nca_name": ""}, "nca_name"),
        ],
    )
    def test_psd2_needs_its_authority_data(self, ca, account, options, missing):
        product = make_product("qwac", product_type=T.PSD2, validation="EV", publicly_trusted_tls=True)
        with pytest.raises(ValueError, match=missing):
            _issue(ca, product, account.holder, "bank.acme.test", [], options=options)

    def test_nothing_to_name_is_refused(self, ca):
        product = make_product("dv", product_type=T.SERVER_DV, validation="DV")
        with pytest.raises(ValueError, match="subject"):
            ca.issue(
                product=product,
                csr_pem=make_csr("acme.test", key=make_key("p256")),
                common_name="",
                names=[" "],
            )


class TestDer:
    @pytest.mark.parametrize(
        "oid",
        [
            "0.4.0.19495.2",
            "1.3.6.1.5.5.7.1.3",
            "2.999.1",
            "0.4.0.194112.1.4",
            "2.23.140.1.2.1",
            "1.2.840.113549.1.1.11",
        ],
    )
    def test_oid_encoding_matches_cryptography(self, oid):
        policies = x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(oid), None)])
        assert policies.public_bytes() == profiles._sequence(profiles._sequence(profiles._oid(oid)))

    def test_long_lengths(self):
        text = "é" * 200  # 400 bytes: a two-octet length
        encoded = profiles._sequence(profiles._utf8(text), profiles._oid("1.2.3"))
        assert encoded[:4] == bytes([0x30, 0x82, 0x01, 0x98])
        value, rest = decode(encoded)
        assert rest == b"" and _plain(value) == [text, "1.2.3"]
