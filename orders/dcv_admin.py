"""Back office for domain validations (STAFF-2, ORD-8): list them, and let the validation team attest
a validation it made itself ("validated by the validation team", with a note saying how).

Registered from orders/admin.py (`from . import dcv_admin  # noqa: F401`). Checks are never
edited by hand: the random value, dates and results change only through orders.services.dcv.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.typing import signed_in_user

from .models import DcvCheck
from .services.dcv import DcvError, source_label, validate_dcv_manually


class ManualValidationForm(forms.Form):
    note = forms.CharField(
        label=_("How was the domain validated?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


@admin.register(DcvCheck)
class DcvCheckAdmin(admin.ModelAdmin):
    list_display = ("domain", "order", "account", "method", "validated_at", "expires_at", "last_checked_at")
    list_filter = ("method", ("validated_at", admin.EmptyFieldListFilter))
    list_select_related = ("order", "account")
    search_fields = ("domain", "order__reference", "account__name", "email_address")
    actions = ("validate_selected",)
    # The random value is shown: the team may need it to look at a record themselves.
    fields = (
        "order",
        "account",
        "domain",
        "method",
        "email_address",
        "token",
        "created_at",
        "expires_at",
        "validated_at",
        "last_checked_at",
        "last_result",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Mark DCV as passed by the validation team"), permissions=["change"])
    def validate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        form = ManualValidationForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for check in queryset.select_related("order").order_by("pk"):
                try:
                    validate_dcv_manually(
                        check, by=signed_in_user(request), note=form.cleaned_data["note"], request=request
                    )
                except DcvError as exc:
                    self.message_user(request, f"{check.domain}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("%(domain)s (order %(ref)s) marked as validated.")
                        % {"domain": check.domain, "ref": source_label(check)},
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "orders/dcv/admin_validate.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Mark DCV as passed by the validation team"),
                "checks": queryset.select_related("order"),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
