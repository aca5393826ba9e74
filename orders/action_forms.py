"""Forms of the status page actions (LIFE-5 to LIFE-8), approval (ORD-5), order links (ORD-5) and
the back office's processing actions (STAFF-2). One form per action (STYLE.md 9)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Account

from .models import AuditDocumentKind, RevocationReason
from .services.actions import MAX_COMMENT_LENGTH, MAX_NOTE_LENGTH
from .services.documents import DocumentRefused, check_document
from .services.links import linkable_products


class _Form(forms.Form):
    # Server-side validation only, so that every message shows next to its field.
    use_required_attribute = False


class RevokeForm(_Form):
    """LIFE-5: the reason, then a final confirmation (the same form posted again with `confirmed`)."""

    reason = forms.ChoiceField(
        label=_("Reason for the revocation"), choices=RevocationReason.choices, widget=forms.RadioSelect
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CancelForm(_Form):
    """LIFE-6 (and ORD-5 for an approver): why the order is cancelled."""

    reason = forms.CharField(
        label=_("Reason for the cancellation"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CommentForm(_Form):
    text = forms.CharField(
        label=_("Your comment"), max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(_Form):
    """LIFE-7: a free note on one certificate (empty removes it)."""

    note = forms.CharField(label=_("Note"), max_length=MAX_NOTE_LENGTH, required=False)


class AuditDocumentForm(_Form):
    """LIFE-8: a document for the audit, checked by its content (PDF, JPEG or PNG, 10 MB at most)."""

    kind = forms.ChoiceField(label=_("Type of document"), choices=AuditDocumentKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_document(upload)
        except DocumentRefused as exc:
            raise forms.ValidationError(str(exc), code="file") from None
        return upload


class LinkForm(_Form):
    """ORD-5: a new external order link for one product and one period."""

    offer = forms.ChoiceField(label=_("Product and period"))
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        help_text=_("Who the link is for, for example “Marketing department”."),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.products = {p.code: p for p in linkable_products()}
        cast(forms.ChoiceField, self.fields["offer"]).choices = [("", "---------")] + [
            (
                f"{product.code}:{period.months}",
                ngettext("%(product)s – %(months)d month", "%(product)s – %(months)d months", period.months)
                % {"product": product, "months": period.months},
            )
            for product in self.products.values()
            for period in product.periods.all()
        ]

    def clean_label(self) -> str:
        return " ".join(self.cleaned_data["label"].split())

    def clean_offer(self) -> Any:
        code, _sep, months = self.cleaned_data["offer"].rpartition(":")
        return self.products[code], int(months)


class StaffNoteForm(_Form):
    """STAFF-2: the optional note of a status move (kept in the audit trail)."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DocumentRequestForm(_Form):
    """STAFF-2: the documents the auditor asks for, with a note for the customer."""

    kinds = forms.MultipleChoiceField(
        label=_("Documents"), choices=AuditDocumentKind.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Note to the customer"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
