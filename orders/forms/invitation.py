"""The holder's CSR on the public invitation page (ORD-4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..csr import CsrError, CsrField, CsrInfo, parse_csr
from .parts import Form


class InvitationCsrForm(Form):
    """Only the CSR comes back from the holder's browser: never the key (ORD-7)."""

    csr = CsrField(
        label=_("Certificate signing request (CSR)"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Made by KeyBot above, or pasted from your own tools."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.csr_info: CsrInfo | None = None

    def clean_csr(self) -> str:
        try:
            self.csr_info = parse_csr(self.cleaned_data["csr"])
        except CsrError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return self.csr_info.pem
