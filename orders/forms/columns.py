"""ADM-8: the columns of the certificate lists a user shows, and their order."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class ColumnsForm(forms.Form):
    """One "shown" box and one position per available column; the required ones stay shown."""

    def __init__(
        self,
        *args: Any,
        available: list[tuple[str, str]],
        chosen: list[str],
        required: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.available = available
        self.required = required
        positions = {name: index for index, name in enumerate(chosen, start=1)}
        for index, (name, label) in enumerate(available, start=1):
            self.fields[f"show_{name}"] = forms.BooleanField(
                label=label,
                required=False,
                initial=name in positions,
                disabled=name in required,
            )
            self.fields[f"position_{name}"] = forms.IntegerField(
                label=_("Position of “%(column)s”") % {"column": label},
                min_value=1,
                max_value=99,
                required=False,
                initial=positions.get(name, len(chosen) + index),
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"show_{name}"], self[f"position_{name}"]) for name, _label in self.available]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shown = [name for name, _label in self.available if data.get(f"show_{name}") or name in self.required]
        if len(shown) <= len(self.required):
            raise forms.ValidationError(_("Choose at least one column besides the reference."))
        order = {name: index for index, (name, _label) in enumerate(self.available)}
        data["columns"] = sorted(shown, key=lambda n: (data.get(f"position_{n}") or 99, order[n]))
        return data
