"""Filter forms of the customer billing pages (ACCT-1, LEDG-3).

Both are GET forms: an absent field takes its default (the current year, the last twelve
months), a field the user emptied means "no bound" for dates and is refused for months.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DocumentKind
from .services.accounting import year_bounds
from .services.consumption import MAX_MONTHS, Measure, last_twelve_months, months_between


def with_defaults(data: Any, defaults: dict) -> dict:
    """The GET data with each absent field set to its default (an emptied field stays empty)."""
    merged = dict(defaults)
    merged.update({key: data.get(key) for key in data if key in defaults})
    return merged


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DocumentFilterForm(forms.Form):
    """ACCT-1: the period (issue dates, both included) and the kind of document."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("Invoices and credit notes")),
            (DocumentKind.INVOICE, _("Invoices")),
            (DocumentKind.CREDIT_NOTE, _("Credit notes")),
        ],
    )

    @classmethod
    def from_query(cls, query: Any, today: datetime.date) -> DocumentFilterForm:
        start, end = year_bounds(today)
        return cls(
            with_defaults(query, {"date_from": start.isoformat(), "date_to": end.isoformat(), "kind": ""})
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m", **kwargs)


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browser's month picker), cleaned to the month's first day."""

    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}


class ConsumptionForm(forms.Form):
    """LEDG-3: the period in months (both included) and the measure."""

    start = MonthField(label=_("From month"))
    end = MonthField(label=_("To month"))
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices, widget=forms.RadioSelect)

    @classmethod
    def from_query(cls, query: Any, today: datetime.date, measure: str) -> ConsumptionForm:
        start, end = last_twelve_months(today)
        return cls(
            with_defaults(
                query, {"start": start.strftime("%Y-%m"), "end": end.strftime("%Y-%m"), "measure": measure}
            )
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last month is before the first."))
            elif len(months_between(start, end)) > MAX_MONTHS:
                self.add_error(
                    "end", _("Choose a period of at most %(count)s months.") % {"count": MAX_MONTHS}
                )
        return cleaned
