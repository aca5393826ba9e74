"""ADM-5 Preferences (super user only), at /administration/preferences/.

The page gathers settings owned by several floors: the account and its holder organisation
(accounts), the approvers (user rights), the low-balance alert threshold (billing). It lives in
`portal`, the floor that may import them all; each part is saved by its own model in one
transaction and the change is audited (PLAT-6).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import right_required
from accounts.audit import log_action
from accounts.models import Account, Organisation, Right, User
from accounts.typing import AuthenticatedRequest
from billing.models import BillingProfile

LANGUAGE_CHOICES = settings.LANGUAGES


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "address", "postal_code", "city", "country", "phone", "vat_number"]


class PreferencesForm(forms.ModelForm):
    approvers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Approvers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("In approval mode, orders placed by anyone else wait for one of them."),
    )
    alert_threshold = forms.DecimalField(
        label=gettext_lazy("Low balance alert threshold (EUR)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy(
            "The administrative contact is emailed when the balance falls to this amount."
        ),
    )

    class Meta:
        model = Account
        fields = [
            "approval_mode",
            "invoice_email",
            "invoice_email_language",
            "copy_email",
            "copy_email_language",
            "emergency_email",
            "emergency_email_language",
            "custom_label_1",
            "custom_label_2",
            "custom_label_3",
            "custom_label_4",
        ]
        widgets = {
            name: forms.Select(choices=LANGUAGE_CHOICES)
            for name in ("invoice_email_language", "copy_email_language", "emergency_email_language")
        }

    def __init__(self, *args: Any, profile: BillingProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.instance
        people = User.objects.filter(account=account, is_api_user=False, is_active=True).order_by("username")
        cast(forms.ModelMultipleChoiceField, self.fields["approvers"]).queryset = people
        self.initial["approvers"] = [u.pk for u in people if u.is_account_superuser or u.right_approval]
        self.initial["alert_threshold"] = profile.alert_threshold
        for number in range(1, 5):
            self.fields[f"custom_label_{number}"].help_text = _(
                "Label of a free field of your orders, shown in lists; empty: not used."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("approval_mode") and not data.get("approvers"):
            self.add_error("approvers", _("Approval mode needs at least one approver."))
        return data


def save_preferences(
    account: Account,
    form: PreferencesForm,
    organisation_form: OrganisationForm | None,
    *,
    request: HttpRequest,
) -> None:
    """ADM-5: store the account, holder organisation, approvers and threshold; audit what changed."""
    data = form.cleaned_data
    with transaction.atomic():
        changed = list(form.changed_data)
        form.save()
        if organisation_form is not None:
            changed += [f"organisation.{name}" for name in organisation_form.changed_data]
            organisation_form.save()
        approvers = {user.pk for user in data["approvers"]}
        for user in User.objects.select_for_update().filter(account=account, is_account_superuser=False):
            wanted = user.pk in approvers
            if user.right_approval != wanted:
                user.right_approval = wanted
                user.save(update_fields=["right_approval"])
        profile = BillingProfile.objects.select_for_update().get(account=account)
        if profile.alert_threshold != data["alert_threshold"]:
            profile.alert_threshold = data["alert_threshold"]
            profile.save(update_fields=["alert_threshold", "updated_at"])
        log_action(
            "account.preferences_changed",
            account=account,
            request=request,
            fields=sorted(set(changed)),
            approvers=sorted(u.username for u in data["approvers"]),
        )


@right_required(Right.ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """ADM-5: only the account's super user sees and changes the preferences (403 for others)."""
    if not request.user.is_account_superuser:
        raise PermissionDenied
    account = Account.objects.get(pk=request.user.account_id)
    profile, _created = BillingProfile.objects.get_or_create(account=account)
    holder = account.holder
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, instance=account, profile=profile)
    # The holder organisation is made at registration; an account without one edits the rest.
    organisation_form = OrganisationForm(data, instance=holder, prefix="organisation") if holder else None
    forms_valid = (
        data is not None and form.is_valid() and (organisation_form is None or organisation_form.is_valid())
    )
    if forms_valid:
        save_preferences(account, form, organisation_form, request=request)
        messages.success(request, _("Your preferences are saved."))
        return redirect("administration_preferences")
    return render(
        request,
        "portal/preferences.html",
        {"form": form, "organisation_form": organisation_form, "account": account},
    )
