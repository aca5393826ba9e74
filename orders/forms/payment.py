"""The payment part of the review page (ORD-9): method, purchase order term, quote box, promo code
and deposit coupon. The choices come from orders.services.payment.offer (the account's formula,
balances, mandate and late-payment restriction); `clean` prices the choice with `plan_payment`, so
every refusal lands next to its field and the review shows the amounts before confirming.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.formatting import amount_text, date_text
from accounts.models import Account
from billing.models import Coupon
from billing.services.coupons import usable_coupons
from catalog.models import Product

from ..services.payment import (
    PURCHASE_ORDER_FEE_RATE,
    PURCHASE_ORDER_TERMS,
    Method,
    Offer,
    PaymentError,
    PaymentPlan,
    offer,
    plan_payment,
)


class CouponChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Coupon) -> str:
        if obj.expires_on:
            return _("%(number)s – %(amount)s € (until %(date)s)") % {
                "number": obj.number,
                "amount": amount_text(obj.amount),
                "date": date_text(obj.expires_on),
            }
        return _("%(number)s – %(amount)s €") % {"number": obj.number, "amount": amount_text(obj.amount)}


class PaymentForm(forms.Form):
    """ORD-9: how the order is paid, checked against what the account may use today."""

    method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    term = forms.TypedChoiceField(
        label=_("Payment term of the purchase order"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    quote = forms.BooleanField(label=_("I want a quote instead of an invoice"), required=False)
    promo_code = forms.CharField(label=_("Promo code"), required=False, max_length=40)
    coupon = CouponChoice(
        label=_("Deposit coupon"),
        required=False,
        queryset=Coupon.objects.none(),
        to_field_name="number",
        empty_label=_("No coupon"),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        account: Account,
        product: Product,
        months: int,
        public_total: Decimal,
        **kwargs: Any,
    ) -> None:
        self.account, self.product, self.months, self.public_total = account, product, months, public_total
        self.offer: Offer = offer(account, product, months, public_total)
        initial = {"method": self.offer.default, **kwargs.pop("initial", {})}
        super().__init__(data, initial=initial, **kwargs)
        # Every method validates as a choice, so one the account may not use gets plan_payment's
        # reason (no mandate, balance spent, late-payment statement); only the offered ones show.
        cast(forms.ChoiceField, self.fields["method"]).choices = Method.choices
        self.fields["method"].widget.choices = self.offer.choices
        cast(forms.ModelChoiceField, self.fields["coupon"]).queryset = usable_coupons(account)
        # Built per form, in the reader's language (a class attribute would be English at import).
        cast(forms.ChoiceField, self.fields["term"]).choices = [("", "—")] + [
            (days, gettext("%(days)s days") % {"days": days}) for days in PURCHASE_ORDER_TERMS
        ]
        self.fields["term"].help_text = gettext(
            "Deferred payment adds %(rate)s %% of fees; a quote is issued, to be signed and returned."
        ) % {"rate": f"{PURCHASE_ORDER_FEE_RATE:f}".rstrip("0").rstrip(".")}
        self.plan: PaymentPlan | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            self.plan = plan_payment(
                self.account,
                self.product,
                self.months,
                self.public_total,
                method=data["method"],
                quote=data.get("quote", False),
                term_days=data.get("term"),
                promo_code=data.get("promo_code", ""),
                coupon=data.get("coupon"),
            )
        except PaymentError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def preview(self) -> PaymentPlan:
        """The plan of a valid form, else the default method's plan without extras (GET)."""
        if self.plan is not None:
            return self.plan
        return plan_payment(
            self.account, self.product, self.months, self.public_total, method=self.offer.default
        )
