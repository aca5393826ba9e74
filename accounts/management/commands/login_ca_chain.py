"""Write the Portal login CA chain (issuing CA, then root; PEM) for the TLS terminator (ACC-7):

    manage.py login_ca_chain --output /etc/nginx/portal-login-ca.pem

nginx's `ssl_client_certificate` points at that file (deploy/nginx/portal-client-cert.conf). The
CA is made on first use, so this also creates it on a new installation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.clientcert.ca import chain_pem


class Command(BaseCommand):
    help = "Write the login CA chain (PEM) that the TLS terminator trusts for client certificates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="File to write (standard output when left out).")

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        pem = chain_pem()
        if output:
            Path(output).write_text(pem)
            self.stderr.write(f"Login CA chain written to {output}")
        else:
            self.stdout.write(pem, ending="")
