"""The discount grid staff edit (PRICE-1): a discount per billing formula, brand and volume tier.

A row gives `discount` percent off the public price excl. VAT to an account of `formula` buying
between `min_quantity` and `max_quantity` (empty: no upper bound) of one product. A row without a
brand applies to every brand; a brand's own rows replace the all-brands rows for that brand
(billing.services.pricing.best_discount). Catalogue data shared by every account: no scope.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from catalog.models import Brand


class DiscountGrid(models.Model):
    formula = models.CharField(_("billing formula"), max_length=20, choices=Account.Formula.choices)
    brand = models.ForeignKey(
        Brand,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("brand"),
        help_text=_("Empty: every brand without rows of its own."),
    )
    min_quantity = models.PositiveIntegerField(_("from quantity"), validators=[MinValueValidator(1)])
    max_quantity = models.PositiveIntegerField(
        _("to quantity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Included; empty for no upper bound."),
    )
    discount = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("discount grid row")
        verbose_name_plural = _("discount grid")
        ordering = ["formula", "brand__position", "brand__name", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["formula", "brand", "min_quantity"],
                nulls_distinct=False,
                name="discount_grid_one_row_per_tier",
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="discount_grid_min_positive"),
            models.CheckConstraint(
                condition=Q(max_quantity__isnull=True) | Q(max_quantity__gte=models.F("min_quantity")),
                name="discount_grid_max_after_min",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=100), name="discount_grid_percent"
            ),
        ]

    def __str__(self) -> str:
        brand = self.brand.name if self.brand is not None else _("all brands")
        return f"{self.get_formula_display()} – {brand} – {self.tier_label}: {self.discount} %"

    @property
    def tier_label(self) -> str:
        return tier_label(self.min_quantity, self.max_quantity)

    def matches(self, quantity: int) -> bool:
        return self.min_quantity <= quantity and (self.max_quantity is None or quantity <= self.max_quantity)

    def clean(self) -> None:
        """Tiers of one formula and brand must not overlap: a quantity has one discount."""
        super().clean()
        if self.min_quantity is None or not self.formula:
            return
        if self.max_quantity is not None and self.max_quantity < self.min_quantity:
            raise ValidationError({"max_quantity": _("The upper bound is below the lower bound.")})
        others = DiscountGrid.objects.filter(formula=self.formula, brand=self.brand).exclude(pk=self.pk)
        overlap = others.filter(Q(max_quantity__isnull=True) | Q(max_quantity__gte=self.min_quantity))
        if self.max_quantity is not None:
            overlap = overlap.filter(min_quantity__lte=self.max_quantity)
        clash = overlap.first()
        if clash is not None:
            raise ValidationError(
                _("This tier overlaps the tier %(tier)s of the same formula and brand.")
                % {"tier": clash.tier_label}
            )


def tier_label(min_quantity: int, max_quantity: int | None) -> str:
    """ "6-10", "51+" or "1" (one product)."""
    if max_quantity is None:
        return f"{min_quantity}+"
    if max_quantity == min_quantity:
        return str(min_quantity)
    return f"{min_quantity}-{max_quantity}"
