"""Keep the account's cached figures current (issue 17: the menu's quote and unpaid-invoice badges
NAV-2, the home page's global top-up, promo codes, coupons and mandate NAV-3, the lists' counts and the unpaid totals ACCT-3): any
saved or deleted document, token movement, receipt or coupon drops its account's figures
(`accounts.account_cache`)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import account_cache

from .models import Coupon, Document, PromoCode, Receipt, SepaMandate, TokenMovement


@receiver(post_save, sender=Document, dispatch_uid="billing.document_figures_saved")
@receiver(post_delete, sender=Document, dispatch_uid="billing.document_figures_deleted")
@receiver(post_save, sender=TokenMovement, dispatch_uid="billing.tokens_figures_saved")
@receiver(post_delete, sender=TokenMovement, dispatch_uid="billing.tokens_figures_deleted")
# ACCT-3: a receipt or a used deposit coupon changes what an unpaid invoice still asks for.
@receiver(post_save, sender=Receipt, dispatch_uid="billing.receipt_figures_saved")
@receiver(post_delete, sender=Receipt, dispatch_uid="billing.receipt_figures_deleted")
@receiver(post_save, sender=Coupon, dispatch_uid="billing.coupon_figures_saved")
@receiver(post_delete, sender=Coupon, dispatch_uid="billing.coupon_figures_deleted")
# NAV-3: the home page's promo codes and SEPA mandate (coupons above).
@receiver(post_save, sender=PromoCode, dispatch_uid="billing.promo_figures_saved")
@receiver(post_delete, sender=PromoCode, dispatch_uid="billing.promo_figures_deleted")
@receiver(post_save, sender=SepaMandate, dispatch_uid="billing.mandate_figures_saved")
@receiver(post_delete, sender=SepaMandate, dispatch_uid="billing.mandate_figures_deleted")
def account_row_changed(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    account_cache.forget(instance.account_id)
