"""Forms of the robots' pages: the recommended reissue list (ORD-13) and automatic renewal (ORD-14)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class RecommendationActionForm(forms.Form):
    """ORD-13: hide or show rows, opt in or out of their emails, on a selection."""

    ACTIONS = (
        ("hide", _("Hide")),
        ("show", _("Show again")),
        ("mute", _("Stop emails about them")),
        ("unmute", _("Email me about them")),
    )

    action = forms.ChoiceField(choices=ACTIONS)
    selected = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": _("Select at least one row.")}
    )

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["selected"]).choices = [(pk, str(pk)) for pk in choices]


class AutoRenewalSelectionForm(forms.Form):
    """ORD-14: switch automatic renewal on or off on a selection of orders."""

    enabled = forms.TypedChoiceField(
        choices=(("1", _("Switch automatic renewal on")), ("0", _("Switch automatic renewal off"))),
        coerce=lambda value: value == "1",
    )
    selected = forms.MultipleChoiceField(error_messages={"required": _("Select at least one order.")})

    def __init__(self, *args: Any, choices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["selected"]).choices = [(r, r) for r in choices]


class AutoRenewalToggleForm(forms.Form):
    enabled = forms.TypedChoiceField(choices=(("1", "1"), ("0", "0")), coerce=lambda value: value == "1")


class DoNotRenewForm(forms.Form):
    """ORD-14: mark an order "do not renew" (1) or renewable again (0)."""

    do_not_renew = forms.TypedChoiceField(choices=(("1", "1"), ("0", "0")), coerce=lambda value: value == "1")
