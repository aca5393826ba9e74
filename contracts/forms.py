"""Forms of the contract pages (CON-1 back office, CON-2 decisions)."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .models import Contract

MAX_DOCUMENT_SIZE = 20 * 1024 * 1024


def check_pdf(upload: UploadedFile) -> None:
    """The signed contract must be a PDF by its content, not only by its name: it starts with the
    PDF header (ISO 32000-1 7.5.2) and ends with the end-of-file marker (7.5.5)."""
    size = upload.size or 0
    if size > MAX_DOCUMENT_SIZE:
        raise forms.ValidationError(_("The file is larger than 20 MB."))
    if os.path.splitext(upload.name or "")[1].lower() != ".pdf":
        raise forms.ValidationError(_("Send the signed contract as a PDF file."))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(max(size - 1024, 0))
    tail = upload.read()
    upload.seek(0)
    if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
        raise forms.ValidationError(_("The file's content is not a PDF document, whatever its name says."))


class ContractAdminForm(forms.ModelForm):
    """STAFF-1 / CON-1: a contract as staff enter it; the signed document is checked as a PDF."""

    class Meta:
        model = Contract
        fields = ["account", "reference", "starts_on", "ends_on", "products", "brands", "signed_document"]

    def clean_signed_document(self) -> Any:
        upload = self.cleaned_data.get("signed_document")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            check_pdf(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The contract must end after it starts."))
        return data


class DecisionForm(forms.Form):
    """CON-2: the version the user read; a decision on another version is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
