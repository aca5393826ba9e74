"""Shared guards for rows that are written once: a queryset whose bulk update and delete refuse.

Model `save()`/`delete()` refuse changes too (each model says which); the queryset closes the
other door (admin bulk delete, `.update()`). Django's own `save(update_fields=...)` goes through
the base manager, which the models that allow some changes rely on.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(ValueError):
    """A ledger movement or an issued document cannot be changed or deleted (LEDG-2, ACCT-1)."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated in bulk.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted.")


AppendOnlyManager = models.Manager.from_queryset(AppendOnlyQuerySet)
