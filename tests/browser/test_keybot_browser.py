"""ORD-7 KeyBot in headless Chromium: the key pair and the CSR are made in the browser, the key is
saved as a password-encrypted PKCS#8 file, and no request the browser sends carries the private key.

Every request of the browser context is recorded (URL and body). After the order (or the holder's
invitation) went through, the key is read back from the downloaded file with `cryptography` and its
secret, in every encoding we can think of, is searched for in those requests; the public key of
the CSR the server received must be the file's.

The bundle static/js/keybot.bundle.js is a build output: built here when missing or older than its
sources (`npm ci` then `npm run build`), as the Makefile does.
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from orders.services.ordering import submit_order
from tests.factories import PASSWORD
from tests.support.ordering import make_typed_product, server_product
from tests.support.orders import contacts_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "js" / "keybot.bundle.js"
SOURCES = [ROOT / "static" / "js" / "keybot.src.js", ROOT / "package.json", ROOT / "package-lock.json"]
KEY_PASSWORD = "correct horse battery staple 42"
# DER of the PBES2 (RFC 8018) pieces the encrypted PKCS#8 must use.
OID_PBES2 = bytes.fromhex("06092a864886f70d01050d")
OID_PBKDF2 = bytes.fromhex("06092a864886f70d01050c")
OID_HMAC_SHA256 = bytes.fromhex("06082a864886f70d0209")
OID_AES256_CBC = bytes.fromhex("060960864801650304012a")


@pytest.fixture(scope="session")
def keybot_bundle() -> Path:
    newest_source = max(path.stat().st_mtime for path in SOURCES)
    if not BUNDLE.exists() or BUNDLE.stat().st_mtime < newest_source:
        installed = ROOT / "node_modules" / ".package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < (ROOT / "package-lock.json").stat().st_mtime:
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, timeout=600)
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True, timeout=300)
    assert BUNDLE.stat().st_size > 10_000
    return BUNDLE


@pytest.fixture
def browser_settings(settings, live_server, keybot_bundle):
    settings.SITE_URL = live_server.url
    # The bundle may be newer than the last collectstatic: serve it from static/ as it is now.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert live_server.url.startswith("http://localhost:")  # a secure context: Web Crypto is there
    return settings


@pytest.fixture
def requests_seen(page):
    """(url, body) of every request any page of the context sends, from now on."""
    seen: list[tuple[str, bytes]] = []
    page.context.on("request", lambda request: seen.append((request.url, request.post_data_buffer or b"")))
    return seen


def log_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("[name=login]", user.username)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/home/")


def generate_with_keybot(page, algorithm: str) -> bytes:
    """Fill KeyBot's password, pick the key type, generate; returns the saved key file."""
    panel = page.locator("[data-keybot]")
    panel.locator("[data-kb=algorithm]").select_option(algorithm)
    panel.locator("[data-kb=password]").fill(KEY_PASSWORD)
    panel.locator("[data-kb=password2]").fill(KEY_PASSWORD)
    panel.locator("[data-kb=accept]").check()
    with page.expect_download(timeout=60_000) as info:
        panel.locator("[data-kb=generate]").click()
    expect(panel.locator("[data-kb=status]")).to_contain_text("Done", timeout=60_000)
    return Path(info.value.path()).read_bytes()


def _base64_forms(secret: bytes) -> list[bytes]:
    """`secret` as it would read inside any base64 text, whatever its offset: at each of the three
    alignments, the part of its encoding that does not depend on the bytes around it."""
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret + b"\0\0")
        forms += [encoded[4:-8], encoded[4:-8].replace(b"+", b"-").replace(b"/", b"_")]
    return forms


def secrets_of(key) -> list[bytes]:
    """The private key in the encodings a leak could take: its PKCS#8 and traditional DER, and each of its
    secret numbers (EC scalar; RSA d, p, q and CRT values) raw, in hex and in base64 at any offset.
    Public parts (the RSA modulus is in the CSR too) are not searched for."""
    encodings = []
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
        encodings += [der, base64.b64encode(der), der.hex().encode()]
    numbers = key.private_numbers()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        secret_numbers = [numbers.private_value]
    else:
        secret_numbers = [numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp]
    for number in secret_numbers:
        secret = number.to_bytes((number.bit_length() + 7) // 8, "big")
        encodings += [secret, secret.hex().encode(), *_base64_forms(secret)]
    return encodings


def assert_no_request_carries(seen: list[tuple[str, bytes]], key, key_file: bytes) -> None:
    needles = secrets_of(key) + [line for line in key_file.splitlines()[1:-1] if len(line) == 64]
    assert seen, "no request was recorded"
    for url, body in seen:
        decoded = unquote_plus(body.decode("latin-1")).encode("latin-1")
        # PEM breaks its base64 into lines: search the text without its whitespace too.
        for haystack in (
            url.encode(),
            unquote_plus(url).encode(),
            body,
            decoded,
            re.sub(rb"\s+", b"", decoded),
        ):
            for needle in needles:
                assert needle not in haystack, f"the private key (or its file) went out in a request to {url}"


def check_key_file(key_file: bytes):
    """The saved file is an encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC) that opens with the password."""
    assert key_file.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    der = base64.b64decode(b"".join(key_file.splitlines()[1:-1]))
    for oid in (OID_PBES2, OID_PBKDF2, OID_HMAC_SHA256, OID_AES256_CBC):
        assert oid in der
    with pytest.raises((ValueError, TypeError)):
        serialization.load_pem_private_key(key_file, b"not the password")
    return serialization.load_pem_private_key(key_file, KEY_PASSWORD.encode())


def public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_the_leak_check_finds_a_key_in_a_form_post():
    """The check below can fail: a key posted in a form, in any of its usual shapes, is caught."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    for body in (
        urlencode({"csr": pem.decode()}).encode(),
        urlencode({"k": "x" + base64.b64encode(scalar).decode()}),
        b"note=" + scalar.hex().encode(),
    ):
        with pytest.raises(AssertionError, match="went out in a request"):
            assert_no_request_carries(
                [("http://localhost/x/", body if isinstance(body, bytes) else body.encode())], key, b""
            )


def test_server_order_with_keybot_keeps_the_key_in_the_browser(
    page, live_server, account, tech, requests_seen, browser_settings
):
    holder, admin, _tech = contacts_of(account)
    product = server_product("ssl-ov")
    log_in(page, live_server.url, tech)
    page.goto(f"{live_server.url}/operations/new/{product.code}/?months=12")
    page.select_option("[name=admin_contact]", admin.public_id)
    page.check("[name=technical_same_as_admin]")
    page.select_option("[name=server_software]", "nginx")
    page.fill("[name=common_name]", "www.acme.test")
    page.fill("[name=sans]", "acme.test\nshop.acme.test")
    page.check("input[name=csr_mode][value=keybot]")
    panel = page.locator("[data-keybot]")
    expect(panel).to_be_visible()
    panel.locator("[data-kb=refresh]").click()  # the names typed after the panel opened
    expect(panel.locator("[data-kb=cn]")).to_have_value("www.acme.test")
    expect(panel.locator("[data-kb=o]")).to_have_value(holder.name)
    expect(panel.locator("[data-kb=l]")).to_have_value("Paris")
    expect(panel.locator("[data-kb=c]")).to_have_value("FR")
    # A short password is refused before anything is made.
    panel.locator("[data-kb=password]").fill("short")
    panel.locator("[data-kb=password2]").fill("short")
    panel.locator("[data-kb=generate]").click()
    expect(panel.locator("[data-kb=status]")).to_contain_text("at least 12 characters")
    key_file = generate_with_keybot(page, "P-256")
    expect(page.locator("[name=csr]")).to_have_value(re.compile(r"^-----BEGIN CERTIFICATE REQUEST-----"))
    page.get_by_role("button", name="Review the order").click()
    page.wait_for_url("**/operations/review/**")
    expect(page.locator(".csr")).to_contain_text("EC P-256")
    page.get_by_role("button", name="Confirm the order").click()
    page.wait_for_url("**/operations/confirmation/**")

    key = check_key_file(key_file)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    order = Order.objects.get(account=account)
    assert order.options["csr_mode"] == "keybot"
    csr = x509.load_pem_x509_csr(order.csr.encode())
    assert public_der(csr.public_key()) == public_der(key.public_key())
    subject = {attr.oid: attr.value for attr in csr.subject}
    assert subject == {
        NameOID.COMMON_NAME: "www.acme.test",
        NameOID.ORGANIZATION_NAME: holder.name,
        NameOID.LOCALITY_NAME: "Paris",
        NameOID.COUNTRY_NAME: "FR",
    }
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["www.acme.test", "acme.test", "shop.acme.test"]
    # The recorder saw the form go out with the CSR in it, and never the key.
    form_posts = [
        body for url, body in requests_seen if url.endswith(f"/operations/new/{product.code}/") and body
    ]
    assert form_posts and order.csr.splitlines()[1].encode() in unquote_plus(form_posts[0].decode()).encode()
    assert_no_request_carries(requests_seen, key, key_file)


def test_holder_makes_the_key_from_the_invitation(
    page, live_server, account, tech, requests_seen, browser_settings
):
    holder, admin, technical = contacts_of(account)
    product = make_typed_product("smime", "client", validation="IV")
    order = submit_order(
        account=account,
        user=tech,
        product=product,
        period_months=12,
        organisation=holder,
        admin_contact=admin,
        technical_contact=technical,
        common_name=admin.email,
        sans=[],
        csr="",
        options={"csr_mode": "invitation"},
    )
    assert order.invitation_token and order.invitation_sent_at <= timezone.now()
    page.goto(f"{live_server.url}/operations/invitation/{order.invitation_token}/")  # no login
    panel = page.locator("[data-keybot]")
    expect(panel.locator("[data-kb=cn]")).to_have_value(admin.email)
    expect(panel.locator("[data-kb=email]")).to_have_value(admin.email)
    expect(panel.locator("[data-kb=o]")).to_have_value(holder.name)
    assert panel.locator("[data-kb=cn]").get_attribute("readonly") is not None
    key_file = generate_with_keybot(page, "RSA-2048")
    page.get_by_role("button", name="Send my certificate request").click()
    expect(page.locator(".invitation-done")).to_be_visible()

    key = check_key_file(key_file)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    order.refresh_from_db()
    csr = x509.load_pem_x509_csr(order.csr.encode())
    assert public_der(csr.public_key()) == public_der(key.public_key())
    assert csr.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)[0].value == admin.email
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.RFC822Name) == [admin.email]
    assert_no_request_carries(requests_seen, key, key_file)
