"""Keep the account's cached figures current (issue 17: list counts LIST-1, menu badges NAV-2,
home blocks NAV-3): any saved or deleted order or certificate drops its account's figures
(`accounts.account_cache`). Set-based updates (the beat jobs, the reissue list's rebuild and flags)
call `account_cache.forget` or `forget_all` themselves. The order's stored certificate ends
(`Order.latest_certificate_end`…) follow every saved or deleted certificate the same way
(`Certificate.objects…update()` refreshes them itself)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import account_cache

from .models import Certificate, DcvCheck, Domain, Order, refresh_certificate_ends


@receiver(post_save, sender=Certificate, dispatch_uid="orders.certificate_counts_saved")
@receiver(post_delete, sender=Certificate, dispatch_uid="orders.certificate_counts_deleted")
@receiver(post_save, sender=Order, dispatch_uid="orders.order_figures_saved")
@receiver(post_delete, sender=Order, dispatch_uid="orders.order_figures_deleted")
def account_row_changed(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    account_cache.forget(instance.account_id)


@receiver(post_save, sender=Certificate, dispatch_uid="orders.certificate_ends_saved")
@receiver(post_delete, sender=Certificate, dispatch_uid="orders.certificate_ends_deleted")
def certificate_changed(sender: type[models.Model], instance: Certificate, **kwargs: Any) -> None:
    """Issue 17: the order's stored certificate ends follow its certificates (one UPDATE)."""
    refresh_certificate_ends([instance.order_id])


@receiver(post_save, sender=DcvCheck, dispatch_uid="orders.dcv_check_domain")
def dcv_check_saved(sender: type[models.Model], instance: DcvCheck, created: bool, **kwargs: Any) -> None:
    """AUTO-3: the first validation of a name makes it one of the account's domains (one query,
    nothing done when the row exists)."""
    if created:
        Domain.objects.bulk_create(
            [Domain(account_id=instance.account_id, name=instance.domain)], ignore_conflicts=True
        )
