"""Backups that restore (issue 18): `backup` writes one archive; `restore` brings it into an empty
installation (a fresh PostgreSQL database, an empty MEDIA_ROOT) where orders, documents and
ledgers match and the embedded CA still signs and its CRL verifies."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.parse
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg.conninfo import make_conninfo

from accounts.models import Account, Right
from billing.services.ledger import credit_euros
from orders.models import AuditDocument, AuditDocumentKind
from orders.services.actions import revoke_certificate
from orders.services.issuing import issue_certificate
from orders.services.ordering import submit_order
from orders.services.payment import plan_payment
from portal.backup import BackupError, restore_backup
from tests import factories
from tests.support.orders import contacts_of, pass_dcv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="restores into a fresh PostgreSQL database"),
]

ROOT = Path(__file__).resolve().parents[2]


def admin_dsn(name: str = "postgres") -> str:
    db = connection.settings_dict
    return make_conninfo(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        password=db["PASSWORD"] or None,
        dbname=name,
    )


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def business(product, staff):
    """An account that topped up, ordered and paid from its balance, got its certificate issued,
    sent an audit document; a second order revoked so the CRL lists something."""
    account = factories.make_account("Acme Hosting", domain="acme.test")
    tech = factories.make_user(account, "tech", rights=[Right.TECHNICAL])
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    credit_euros(account, Decimal("500.00"), reference="TOPUP-1")
    holder, admin, technical = contacts_of(account)
    orders = []
    for name in ("www.acme.test", "shop.acme.test"):
        order = submit_order(
            account=account,
            user=tech,
            product=product,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=technical,
            common_name=name,
            sans=["acme.test"],
            csr=factories.make_csr(name, ["acme.test"], key=factories.make_key("p256")),
            server_software="nginx",
            dcv_method="dns",
            payment=plan_payment(account, product, 12, Decimal("150.00"), method="balance"),
        )
        pass_dcv(order, staff)
        issue_certificate(order, user=staff)
        orders.append(order)
    revoke_certificate(orders[1].certificates.get(), "superseded", user=tech)
    AuditDocument.objects.create(
        account=account,
        order=orders[0],
        kind=AuditDocumentKind.KBIS,
        file=ContentFile(b"%PDF-1.4 Kbis extract", name="kbis.pdf"),
        original_name="kbis.pdf",
        uploaded_by=tech,
    )
    return account


def restore_in_subprocess(archive: Path, database: str, var_dir: Path) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or 'postgres'}:{urllib.parse.quote(db['PASSWORD'] or '')}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def test_a_backup_restores_into_an_empty_installation(business, fresh_database, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "database.dump" in names
    assert any(name.startswith("media/audit/") for name in names)
    assert sum(name.startswith("ca/") and name.endswith(".key.pem") for name in names) == 2  # root, issuing
    assert manifest["fingerprint"]["orders"]["count"] == 2

    result = restore_in_subprocess(archive, fresh_database, tmp_path / "restored")
    assert result.returncode == 0, result.stderr
    assert "restore verified" in result.stdout
    assert result.stdout.count("signed and verified") == 2

    # The restored database, read directly: the same orders, documents and ledgers.
    source, restored = admin_dsn(connection.settings_dict["NAME"]), admin_dsn(fresh_database)
    for sql in (
        "SELECT reference, status, paid_at FROM orders_order ORDER BY id",
        "SELECT display_number, kind, total_incl_vat, md5(pdf) FROM billing_document ORDER BY id",
        "SELECT account_id, sum(amount), count(*) FROM billing_euromovement GROUP BY account_id ORDER BY 1",
        "SELECT serial, revoked_at FROM orders_certificate ORDER BY id",
    ):
        assert rows(restored, sql) == rows(source, sql), sql
    assert rows(restored, "SELECT count(*) FROM billing_euromovement")[0][0] == 3  # top-up, two debits
    # The stored document came back with its bytes.
    [(path,)] = rows(restored, "SELECT file FROM orders_auditdocument")
    assert (tmp_path / "restored" / "media" / path).read_bytes() == b"%PDF-1.4 Kbis extract"

    # The restored issuing CA's key, still encrypted, opens with the passphrase and signs.
    [(cert_pem, key_pem)] = rows(
        restored,
        "SELECT certificate_pem, encrypted_key_pem FROM orders_certificateauthority WHERE parent_id IS NOT NULL",
    )
    assert "ENCRYPTED" in key_pem
    key = serialization.load_pem_private_key(key_pem.encode(), settings.CA_KEY_PASSPHRASE.encode())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(b"still signs", ec.ECDSA(hashes.SHA256()))
    x509.load_pem_x509_certificate(cert_pem.encode()).public_key().verify(
        signature, b"still signs", ec.ECDSA(hashes.SHA256())
    )


def test_restore_refuses_an_installation_that_is_not_empty(business, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    with pytest.raises(BackupError, match="empty installation"):
        restore_backup(archive)


def test_restore_refuses_a_damaged_archive(business, tmp_path, fresh_database):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data = b"tampered"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = restore_in_subprocess(damaged, fresh_database, tmp_path / "restored")
    assert result.returncode != 0
    assert "damaged" in result.stderr
    assert rows(admin_dsn(fresh_database), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [
        (0,)
    ]


def test_backup_command_reports_what_it_wrote(business, tmp_path, capsys):
    call_command("backup", output=tmp_path / "b.tar.gz")
    out = capsys.readouterr().out
    assert "2 orders" in out and "CA_KEY_PASSPHRASE" in out
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
