"""Back office (STAFF-1, CON-1, CON-2): contracts with their objectives and signed PDF, the data
processing terms of each brand (draft → published, never edited once published) and the accounts'
decisions (read only). Every change is audited with the staff member's name."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.typing import signed_in_user

from .forms import ContractAdminForm
from .models import ConsentDecision, ConsentTerms, Contract, Objective
from .services import consent


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 1


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractAdminForm
    list_display = ["reference", "account", "starts_on", "ends_on"]
    list_filter = ["ends_on"]
    search_fields = ["reference", "account__name"]
    autocomplete_fields = ["account"]
    filter_horizontal = ["products", "brands"]
    inlines = [ObjectiveInline]
    date_hierarchy = "ends_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).select_related("account")

    def save_model(self, request: HttpRequest, obj: Contract, form: ModelForm, change: bool) -> None:
        upload = form.cleaned_data.get("signed_document")
        if upload and hasattr(upload, "content_type"):
            obj.document_name = upload.name[-200:]
        super().save_model(request, obj, form, change)
        log_action(
            "contract.changed" if change else "contract.created",
            account=obj.account,
            obj=obj,
            user=signed_in_user(request),
            request=request,
            reference=obj.reference,
            starts_on=obj.starts_on.isoformat(),
            ends_on=obj.ends_on.isoformat(),
            fields=sorted(form.changed_data),
        )


@admin.register(ConsentTerms)
class ConsentTermsAdmin(admin.ModelAdmin):
    list_display = ["brand", "version", "created_at", "published_at"]
    list_filter = ["brand"]
    actions = ["publish"]
    save_as = True  # "Save as new": a new draft version from a published one
    fieldsets = [
        (None, {"fields": ["brand", "version", "published_at"]}),
        (_("English"), {"fields": ["data_sent_en", "use_en", "recipients_en", "location_en"]}),
        (_("French"), {"fields": ["data_sent_fr", "use_fr", "recipients_fr", "location_fr"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentTerms | None = None) -> list[str]:
        if obj is not None and obj.published_at is not None:
            # A published version is what accounts accepted: it never changes.
            return [field.name for field in ConsentTerms._meta.fields if field.name != "id"]
        return ["version", "published_at"]

    def has_delete_permission(self, request: HttpRequest, obj: ConsentTerms | None = None) -> bool:
        return obj is None or obj.published_at is None

    @admin.action(description=_("Publish the selected drafts (accounts are asked to decide again)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ConsentTerms]) -> None:
        published = sum(
            consent.publish(terms, user=signed_in_user(request), request=request) for terms in queryset
        )
        messages.success(request, _("%(count)s version(s) published.") % {"count": published})


@admin.register(ConsentDecision)
class ConsentDecisionAdmin(admin.ModelAdmin):
    list_display = ["account", "brand", "terms", "decision", "user", "decided_at", "ip_address"]
    list_filter = ["decision", "brand"]
    search_fields = ["account__name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentDecision]:
        return super().get_queryset(request).select_related("account", "brand", "terms__brand", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConsentDecision | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConsentDecision | None = None) -> bool:
        return False
