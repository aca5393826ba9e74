"""`manage.py load_discount_grid`: add the default discount grid (PRICE-1); safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand

from billing.seed import load_default_grid


class Command(BaseCommand):
    help = "Add the missing rows of the default discount grid; rows staff changed are kept (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created, skipped = load_default_grid()
        message = f"Discount grid: {created} rows created."
        if skipped:
            message += (
                f" {skipped} rows skipped: their brand is not in the catalogue (run load_catalog first)."
            )
        self.stdout.write(message)
