"""Keep the cached certificate counts of the lists current (LIST-1): any saved or deleted
certificate drops its account's counts. Set-based updates call `listing.forget_counts` themselves."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Certificate
from .services.listing import forget_counts


@receiver(post_save, sender=Certificate, dispatch_uid="orders.certificate_counts_saved")
@receiver(post_delete, sender=Certificate, dispatch_uid="orders.certificate_counts_deleted")
def certificate_changed(sender: type[Certificate], instance: Certificate, **kwargs: Any) -> None:
    account_id = instance.account_id
    forget_counts(account_id)
    # A reader between the write and the commit could cache the old numbers: drop them again after.
    transaction.on_commit(lambda: forget_counts(account_id))
