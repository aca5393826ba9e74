"""Backups that restore (issue 18): `make backup` / `make restore`.

One archive (.tar.gz) holds:
- `database.dump` (PostgreSQL, `pg_dump` custom format) or `database.sqlite3` (the demo, copied
  with SQLite's online backup): every row, including the PDFs of documents and the embedded CA's
  certificates and private keys, which are stored encrypted with CA_KEY_PASSPHRASE;
- `media/`: the stored files (audit documents sent by customers, signed contracts);
- `ca/<slug>.crt.pem` and `ca/<slug>.key.pem`: the CA material again as files, keys still
  encrypted, for an operator who needs them outside the portal;
- `manifest.json`: when, which engine, the list of files with their SHA-256, and a fingerprint of
  the business data (orders, certificates, documents, ledgers).

The archive never holds CA_KEY_PASSPHRASE or SECRET_KEY: keep them apart (a password manager, the
secrets store of the deployment). `restore` refuses anything but an empty installation (no table
in the database, no file in MEDIA_ROOT), then checks the restored data against the manifest's
fingerprint and that each CA's key still decrypts, signs a CRL, and that the CRL verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

FORMAT = 1


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _digest(rows: list[Any]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def fingerprint() -> dict[str, Any]:
    """What must be identical after a restore: orders, certificates, documents and both ledgers."""
    from billing.models import Document, EuroMovement, TokenMovement
    from orders.models import Certificate, Order

    with scopes_disabled():
        orders = list(Order.objects.order_by("pk").values_list("reference", "status", "paid_at"))
        certificates = list(Certificate.objects.order_by("pk").values_list("serial", "revoked_at"))
        documents = list(
            Document.objects.order_by("pk").values_list("display_number", "kind", "status", "total_incl_vat")
        )
        euros = list(
            EuroMovement.objects.values_list("account_id")
            .annotate(total=Sum("amount"))
            .order_by("account_id")
        )
        tokens = list(
            TokenMovement.objects.values_list("account_id", "product_id")
            .annotate(total=Sum("quantity"))
            .order_by("account_id", "product_id")
        )
        return {
            "orders": {"count": len(orders), "sha256": _digest(orders)},
            "certificates": {"count": len(certificates), "sha256": _digest(certificates)},
            "documents": {"count": len(documents), "sha256": _digest(documents)},
            "euro_ledger": {"movements": EuroMovement.objects.count(), "balances": _digest(euros)},
            "token_ledger": {"movements": TokenMovement.objects.count(), "balances": _digest(tokens)},
        }


def _media_files() -> Iterator[Path]:
    root = Path(settings.MEDIA_ROOT)
    if root.is_dir():
        yield from sorted(path for path in root.rglob("*") if path.is_file())


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> str:
    vendor = connection.vendor
    if vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], _pg_env())
        return "database.dump"
    if vendor == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return "database.sqlite3"
    raise BackupError(f"No backup for the {vendor} database engine.")


def create_backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output`; returns its manifest."""
    from orders.models import CertificateAuthority

    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        dump = folder / "database"
        name = _dump_database(dump)
        dump.rename(folder / name)
        members: dict[str, Path] = {name: folder / name}
        media_root = Path(settings.MEDIA_ROOT)
        for path in _media_files():
            members[f"media/{path.relative_to(media_root).as_posix()}"] = path
        (folder / "ca").mkdir()
        authorities = []
        for ca in CertificateAuthority.objects.order_by("pk"):
            for suffix, text in (("crt.pem", ca.certificate_pem), ("key.pem", ca.encrypted_key_pem)):
                path = folder / "ca" / f"{ca.slug}.{suffix}"
                path.write_text(text)
                members[f"ca/{path.name}"] = path
            authorities.append({"slug": ca.slug, "kind": ca.kind, "crl_number": ca.crl_number})
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "database": name,
            "files": {member: _sha256(path) for member, path in members.items()},
            "certificate_authorities": authorities,
            "fingerprint": fingerprint(),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / "manifest.json", arcname="manifest.json")
            for member, path in members.items():
                archive.add(path, arcname=member)
        partial.rename(output)  # never a half-written archive under the final name
    return manifest


def default_output() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"portal-{stamp}.tar.gz"


def _installation_is_empty() -> list[str]:
    problems = []
    tables = connection.introspection.table_names()
    if tables:
        problems.append(f"the database {connection.settings_dict['NAME']} already has {len(tables)} tables")
    if any(True for _ in _media_files()):
        problems.append(f"MEDIA_ROOT ({settings.MEDIA_ROOT}) already holds files")
    return problems


def _extract(archive_path: Path, folder: Path) -> dict[str, Any]:
    if not archive_path.is_file():
        raise BackupError(f"No archive at {archive_path}.")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(folder, filter="data")
        manifest = json.loads((folder / "manifest.json").read_text())
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise BackupError(f"{archive_path} is not a backup archive: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown archive format {manifest.get('format')!r}.")
    for member, digest in manifest["files"].items():
        if _sha256(folder / member) != digest:
            raise BackupError(f"{member} is damaged: its SHA-256 does not match the manifest.")
    return manifest


def restore_backup(archive_path: Path) -> list[str]:
    """Restore the archive into this (empty) installation and verify it; returns the report."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        manifest = _extract(archive_path, folder)
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"The archive holds a {manifest['engine']} database; this installation uses {connection.vendor}."
            )
        problems = _installation_is_empty()
        if problems:
            raise BackupError("Restore only into an empty installation: " + "; ".join(problems) + ".")
        dump = folder / manifest["database"]
        if connection.vendor == "postgresql":
            connection.close()
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    str(dump),
                ]
                + ["--dbname", connection.settings_dict["NAME"]],
                _pg_env(),
            )
        else:
            connections.close_all()
            target = Path(connection.settings_dict["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dump, target)
        media_root = Path(settings.MEDIA_ROOT)
        for member in manifest["files"]:
            if member.startswith("media/"):
                destination = media_root / member.removeprefix("media/")
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / member, destination)
    return verify(manifest)


def verify(manifest: dict[str, Any]) -> list[str]:
    """Check the restored installation against the manifest; raises BackupError on a difference."""
    from orders.ca.embedded import EmbeddedCA, ca_certificate
    from orders.models import CertificateAuthority

    current = fingerprint()
    for part, expected in manifest["fingerprint"].items():
        if current.get(part) != expected:
            raise BackupError(
                f"The restored {part} differ from the backup: {current.get(part)} != {expected}"
            )
    report = [
        f"{part}: {', '.join(f'{k} {v}' for k, v in expected.items())}" for part, expected in current.items()
    ]
    embedded = EmbeddedCA()
    for ca in CertificateAuthority.objects.order_by("pk"):
        crl = x509.load_der_x509_crl(embedded.crl_der(ca))
        key = ca_certificate(ca).public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey) or not crl.is_signature_valid(
            key
        ):
            raise BackupError(f"The CRL of {ca.slug} does not verify.")
        report.append(
            f"CA {ca.slug}: key decrypted, CRL {crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number} signed and verified"
        )
    report.append("restore verified")
    return report
