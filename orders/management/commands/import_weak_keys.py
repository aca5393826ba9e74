"""`manage.py import_weak_keys FILE [--reason debian|published]` (ORD-6 [beyond], BR 6.1.1.3 (5)(a)).

FILE holds one hex SHA-256 of a SubjectPublicKeyInfo DER per line ('#' starts a comment): the hash
orders.csr.public_key_sha256 computes. For the Debian weak-key lists (CVE-2008-0166), hash each
key's SPKI first (`openssl pkey -pubin -outform DER | sha256sum`). badkeys' own blocklist cannot be
imported: it stores a truncated hash of the bare RSA modulus, not of the SPKI. Idempotent.
"""

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from orders.models import BlockedKey

_HEX64 = re.compile(r"[0-9a-f]{64}")


class Command(BaseCommand):
    help = "Import SHA-256 hashes of public keys (SubjectPublicKeyInfo DER, hex, one a line) to refuse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--reason", choices=BlockedKey.Reason.values, default=BlockedKey.Reason.DEBIAN)

    def handle(self, *args: Any, file: Path, reason: str, **options: Any) -> None:
        try:
            lines = file.read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        hashes, bad = set(), []
        for number, line in enumerate(lines, 1):
            entry = line.split("#", 1)[0].strip().lower()
            if entry and not _HEX64.fullmatch(entry):
                bad.append(number)
            elif entry:
                hashes.add(entry)
        if bad:
            shown = ", ".join(map(str, bad[:10]))
            raise CommandError(f"{file}: line(s) {shown} hold no 64-digit hex SHA-256; nothing imported")
        with transaction.atomic():
            before = BlockedKey.objects.count()
            BlockedKey.objects.bulk_create(
                [BlockedKey(sha256=h, reason=reason, source=file.name) for h in sorted(hashes)],
                ignore_conflicts=True,
                batch_size=5000,
            )
            added = BlockedKey.objects.count() - before
        self.stdout.write(f"{len(hashes)} hashes read, {added} added, {len(hashes) - added} already known.")
