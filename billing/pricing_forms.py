"""The pricing page's choice (PRICE-1): a formula, a brand and a volume tier, as a GET form."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from catalog.models import Brand

from .services.pricing import PriceChoice, Tier


class PriceChoiceForm(forms.Form):
    formula = forms.ChoiceField(
        label=_("Formula"),
        required=False,
        choices=[("", _("Public prices")), *Account.Formula.choices],
        help_text=_("Public prices, or the prices of a billing formula."),
    )
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    tier = forms.ChoiceField(
        label=_("Volume"), required=False, help_text=_("How many of one product you buy at once.")
    )

    def __init__(self, *args: Any, brands: list[Brand], tiers: list[Tier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.brands = {brand.code: brand for brand in brands}
        cast(forms.ChoiceField, self.fields["brand"]).choices = [
            ("", _("All brands")),
            *[(brand.code, brand.name) for brand in brands],
        ]
        self.tiers = {tier.value: tier for tier in tiers}
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            (tier.value, _("%(tier)s products") % {"tier": tier.label}) for tier in tiers
        ]

    @classmethod
    def for_request(
        cls, query: Any, account: Account, *, brands: list[Brand], tiers: list[Tier]
    ) -> PriceChoiceForm:
        """Bound to the query once the user chose; else unbound with the account's formula preselected."""
        if "formula" in query:
            return cls(query, brands=brands, tiers=tiers)
        return cls(initial={"formula": account.formula, "tier": tiers[0].value}, brands=brands, tiers=tiers)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("formula") and not cleaned.get("tier"):
            self.add_error("tier", _("Choose a volume to see the prices of a formula."))
        return cleaned

    def choice(self) -> PriceChoice:
        """The choice made (public prices while the form is unbound or invalid)."""
        if not self.is_bound or not self.is_valid():
            return PriceChoice()
        data = self.cleaned_data
        tier = self.tiers.get(data.get("tier") or "")
        return PriceChoice(
            formula=data["formula"],
            brand=self.brands.get(data["brand"] or ""),
            tier=tier if data["formula"] else None,
        )
