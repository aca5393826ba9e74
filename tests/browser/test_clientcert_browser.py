"""ACC-7 / ADM-3 in headless Chromium: through the enrolment link, the user's browser makes the key,
sends only a CSR, receives the certificate and saves a PKCS#12 file protected by the password typed;
the file opens with that password and holds the key of the certificate the portal recorded; no
request carries the private key.

static/js/clientcert.bundle.js is a build output of static/js/clientcert.src.js (see its header).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

from accounts.clientcert import ca, services
from accounts.models import Account, ClientCertificate
from tests import factories
from tests.browser.test_keybot_browser import assert_no_request_carries

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "js" / "clientcert.bundle.js"
SOURCES = [ROOT / "static" / "js" / "clientcert.src.js", ROOT / "package-lock.json"]
FILE_PASSWORD = "Saffron-Lighthouse-Quiet-58"
BUILD = [
    "npx",
    "esbuild",
    "static/js/clientcert.src.js",
    "--bundle",
    "--minify",
    "--format=iife",
    "--target=es2020",
    "--outfile=static/js/clientcert.bundle.js",
]


@pytest.fixture(scope="session")
def clientcert_bundle() -> Path:
    if not BUNDLE.exists() or BUNDLE.stat().st_mtime < max(path.stat().st_mtime for path in SOURCES):
        if not (ROOT / "node_modules" / "pkijs").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, timeout=600)
        subprocess.run(BUILD, cwd=ROOT, check=True, timeout=300)
    assert BUNDLE.stat().st_size > 10_000
    return BUNDLE


@pytest.fixture
def browser_settings(settings, live_server, clientcert_bundle):
    settings.SITE_URL = live_server.url
    settings.ROOT_URLCONF = "tests.support.clientcert"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert live_server.url.startswith("http://localhost:")  # a secure context: Web Crypto is there
    return settings


def test_key_made_in_the_browser_ends_in_a_pkcs12_file(page, live_server, browser_settings):
    account = factories.make_account(
        "Cipher Bank", domain="cipher.test", auth_type=Account.AuthType.CERTIFICATE
    )
    admin = factories.make_user(account, "warden", superuser=True)
    clerk = factories.make_user(account, "clerk")
    _enrolment, url = services.create_enrolment(clerk, by=admin)
    seen: list[tuple[str, bytes]] = []
    page.context.on("request", lambda request: seen.append((request.url, request.post_data_buffer or b"")))

    page.goto(live_server.url + urlsplit(url).path)
    panel = page.locator("[data-clientcert]")
    panel.locator("[data-cc=password]").fill("short")
    panel.locator("[data-cc=password2]").fill("short")
    panel.locator("[data-cc=generate]").click()
    expect(panel.locator("[data-cc=status]")).to_contain_text("at least 12 characters")
    assert not ClientCertificate.objects.exists()

    panel.locator("[data-cc=password]").fill(FILE_PASSWORD)
    panel.locator("[data-cc=password2]").fill(FILE_PASSWORD)
    with page.expect_download(timeout=60_000) as info:
        panel.locator("[data-cc=generate]").click()
    expect(panel.locator("[data-cc=status]")).to_contain_text("Done", timeout=60_000)
    download = info.value
    data = Path(download.path()).read_bytes()

    assert download.suggested_filename == f"{clerk.username}-portal-login.p12"
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"not the password")
    bundle = pkcs12.load_pkcs12(data, FILE_PASSWORD.encode())
    key, cert = bundle.key, bundle.cert.certificate
    record = ClientCertificate.objects.get(user=clerk)
    assert record.method == "browser" and record.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert bundle.cert.friendly_name == f"{clerk.username} (portal login)".encode()
    assert [c.certificate for c in bundle.additional_certs] == [ca.chain()[0]]
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert_no_request_carries(seen, key, b"")
    assert any(b"CERTIFICATE REQUEST" in body for _url, body in seen)

    # The link served once.
    page.goto(live_server.url + urlsplit(url).path)
    expect(page.locator("h1")).to_have_text("Link not valid")
