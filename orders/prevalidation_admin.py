"""Back office: pre-validations (AUTO-1). Staff validate one (reusable for the BR 4.2.1 period of
its type) or reject it with a reason; each decision is audited and emailed to the contact, the
requester and the account's contact points (orders.services.prevalidation).

Registered from orders/admin.py. One URL and one form per decision (STYLE.md 9)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.typing import signed_in_user

from .prevalidation_models import PreValidation
from .services.prevalidation import reject_prevalidation, validate_prevalidation

P = PreValidation.State


class RejectPreValidationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text=_("Emailed to the contact and shown on the customer's pre-validation page."),
    )


@admin.register(PreValidation)
class PreValidationAdmin(admin.ModelAdmin):
    list_display = (
        "organisation",
        "account",
        "brand",
        "validation_type",
        "state",
        "requested_at",
        "expires_at",
    )
    list_filter = ("state", "brand", "validation_type")
    list_select_related = ("organisation", "account", "brand")
    search_fields = ("organisation__name", "organisation__registration_number", "account__name", "public_id")
    date_hierarchy = "requested_at"
    fields = (
        "public_id",
        "account",
        "brand",
        "validation_type",
        "organisation",
        "contact",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "validated_at",
        "expires_at",
        "rejected_at",
        "reason",
        "staff_notes",
    )
    # Only the notes are edited here: the decision goes through its own page (audit and email).
    readonly_fields = tuple(f for f in fields if f != "staff_notes")
    change_form_template = "admin/orders/prevalidation/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the account asks; staff decide

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/validate/",
                self.admin_site.admin_view(self.validate_view),
                name="{}_{}_validate".format(*info),
            ),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
            *super().get_urls(),
        ]

    def _pending(self, request: HttpRequest, object_id: str) -> PreValidation | None:
        prevalidation = self.get_object(request, object_id)
        if prevalidation is None:
            raise Http404
        if not self.has_change_permission(request, prevalidation):
            raise PermissionDenied
        if prevalidation.state != P.REQUESTED:
            self.message_user(request, _("This pre-validation is not awaiting a decision."), messages.WARNING)
            return None
        return prevalidation

    def _change_url(self, object_id: str) -> str:
        return reverse("admin:orders_prevalidation_change", args=[object_id])

    def _render(
        self, request: HttpRequest, template: str, obj: PreValidation, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.opts, "original": obj, **context},
        )

    def validate_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """Confirmation page (GET), then validation (POST)."""
        prevalidation = self._pending(request, object_id)
        if prevalidation is None:
            return redirect(self._change_url(object_id))
        if request.method == "POST":
            if validate_prevalidation(prevalidation, by=signed_in_user(request), request=request):
                self.message_user(
                    request,
                    _(
                        "The pre-validation of %(organisation)s is valid until %(date)s; the customer is emailed."
                    )
                    % {
                        "organisation": prevalidation.organisation.name,
                        "date": prevalidation.expires_at.date().isoformat()
                        if prevalidation.expires_at
                        else "",
                    },
                    messages.SUCCESS,
                )
            return redirect(self._change_url(object_id))
        return self._render(
            request,
            "admin/orders/prevalidation/validate.html",
            prevalidation,
            title=_("Validate the pre-validation of %(organisation)s")
            % {"organisation": prevalidation.organisation.name},
        )

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """A reason (GET form), then rejection (POST), the reason emailed."""
        prevalidation = self._pending(request, object_id)
        if prevalidation is None:
            return redirect(self._change_url(object_id))
        form = RejectPreValidationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if reject_prevalidation(
                prevalidation, by=signed_in_user(request), reason=form.cleaned_data["reason"], request=request
            ):
                self.message_user(
                    request,
                    _("The pre-validation of %(organisation)s is rejected; the reason was emailed.")
                    % {"organisation": prevalidation.organisation.name},
                    messages.SUCCESS,
                )
            return redirect(self._change_url(object_id))
        return self._render(
            request,
            "admin/orders/prevalidation/reject.html",
            prevalidation,
            form=form,
            title=_("Reject the pre-validation of %(organisation)s")
            % {"organisation": prevalidation.organisation.name},
        )
