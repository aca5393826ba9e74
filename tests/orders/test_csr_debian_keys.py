"""ORD-6 [beyond], CA/B BR 6.1.1.3 (5)(a): Debian weak keys (CVE-2008-0166) are refused once their
hashes are imported. The key used here is a real one: Debian lenny, OpenSSL 0.9.8g-8, amd64,
RSA 2048, process id 1000, from the published weak-key lists (its private key is public by nature).
"""

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from orders.csr import CsrError, parse_csr, public_key_sha256
from orders.models import BlockedKey
from tests.factories import make_csr, make_key

pytestmark = pytest.mark.django_db

DEBIAN_KEY = serialization.load_pem_private_key(
    (Path(__file__).parents[1] / "data/weakkeys/debian-weak-rsa2048-pid1000.pem").read_bytes(), password=None
)


def blocklist(tmp_path, *lines: str) -> Path:
    path = tmp_path / "debian-rsa-2048.sha256"
    path.write_text("# Debian weak keys, RSA 2048\n" + "\n".join(lines) + "\n")
    return path


def test_a_debian_weak_key_passes_the_offline_checks_until_its_hash_is_imported(tmp_path):
    csr = make_csr("www.acme.test", key=DEBIAN_KEY)
    assert parse_csr(csr).key_description == "RSA 2048"  # nothing in the key itself betrays it
    call_command("import_weak_keys", blocklist(tmp_path, public_key_sha256(DEBIAN_KEY.public_key())))
    with pytest.raises(CsrError) as refused:
        parse_csr(csr)
    assert refused.value.code == "weak_debian"
    assert "CVE-2008-0166" in refused.value.message


def test_other_keys_stay_accepted(tmp_path):
    call_command("import_weak_keys", blocklist(tmp_path, public_key_sha256(DEBIAN_KEY.public_key())))
    assert parse_csr(make_csr("www.acme.test", key=make_key("rsa2048"))).common_name == "www.acme.test"


def test_import_is_idempotent_and_refuses_bad_lines(tmp_path, capsys):
    digest = public_key_sha256(DEBIAN_KEY.public_key())
    call_command("import_weak_keys", blocklist(tmp_path, digest, digest.upper()))
    call_command("import_weak_keys", blocklist(tmp_path, digest))
    assert "1 hashes read, 0 added, 1 already known." in capsys.readouterr().out
    assert BlockedKey.objects.count() == 1
    with pytest.raises(CommandError, match="line"):
        call_command("import_weak_keys", blocklist(tmp_path, "not-a-hash"))
    assert BlockedKey.objects.count() == 1


def test_published_keys_have_their_own_message(tmp_path):
    call_command(
        "import_weak_keys",
        blocklist(tmp_path, public_key_sha256(DEBIAN_KEY.public_key())),
        "--reason",
        "published",
    )
    with pytest.raises(CsrError) as refused:
        parse_csr(make_csr("www.acme.test", key=DEBIAN_KEY))
    assert refused.value.code == "blocked_key"
