"""`manage.py load_catalog`: load the reference catalogue (STAFF-3, PRICE-1); safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand

from catalog.seed import load_catalog


class Command(BaseCommand):
    help = "Create or update the reference brands, products and public prices (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_catalog()
        self.stdout.write(
            f"Catalogue: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )
