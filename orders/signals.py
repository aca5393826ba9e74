"""Keep the account's cached figures current (issue 17: list counts LIST-1, menu badges NAV-2,
home blocks NAV-3): any saved or deleted order or certificate drops its account's figures
(`accounts.account_cache`). Set-based updates (the beat jobs, the reissue list's rebuild and flags)
call `account_cache.forget` or `forget_all` themselves. The order's stored certificate ends
(`Order.latest_certificate_end`…) follow every saved or deleted certificate the same way
(`Certificate.objects…update()` refreshes them itself). The product's and brand's names stored on
the order (`Order.product_name`, `brand_name`) follow a rename of the product or brand."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_scopes import scopes_disabled

from accounts import account_cache
from catalog.models import Brand, Product

from .filters import forget_catalogue_choices
from .models import Certificate, DcvCheck, Domain, Order, refresh_certificate_ends

# The order list's product and brand filters (orders.filters, issue 17).
for _model in (Product, Brand):
    post_save.connect(
        forget_catalogue_choices, sender=_model, dispatch_uid=f"orders.filter_{_model.__name__}_saved"
    )
    post_delete.connect(
        forget_catalogue_choices, sender=_model, dispatch_uid=f"orders.filter_{_model.__name__}_deleted"
    )


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


@receiver(post_save, sender=Product, dispatch_uid="orders.product_names")
def product_saved(
    sender: type[models.Model], instance: Product, created: bool, raw: bool, **kwargs: Any
) -> None:
    """Issue 17: a renamed product (or one moved to another brand) renames its orders' stored names,
    in one UPDATE of the orders that still show the old ones; nothing when neither changed."""
    update_fields = kwargs.get("update_fields")
    if created or raw or (update_fields is not None and not {"name", "brand", "brand_id"} & update_fields):
        return
    brand_name = instance.brand.name
    with scopes_disabled():
        Order.objects.filter(product_id=instance.pk).exclude(
            product_name=instance.name, brand_name=brand_name
        ).update(product_name=instance.name, brand_name=brand_name)


@receiver(post_save, sender=Brand, dispatch_uid="orders.brand_names")
def brand_saved(sender: type[models.Model], instance: Brand, created: bool, raw: bool, **kwargs: Any) -> None:
    """Issue 17: a renamed brand renames the stored brand of its products' orders, in one UPDATE."""
    update_fields = kwargs.get("update_fields")
    if created or raw or (update_fields is not None and "name" not in update_fields):
        return
    with scopes_disabled():
        Order.objects.filter(
            product_id__in=Product.objects.filter(brand_id=instance.pk).values("pk")
        ).exclude(brand_name=instance.name).update(brand_name=instance.name)
