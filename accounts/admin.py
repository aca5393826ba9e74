"""The back office for accounts (STAFF-1), mounted at /staff/ (Django admin, staff only).

Status changes never happen by editing a field: "Validate" and "Reject with a reason" each have
their own page and call the services (ACC-2), which lock, audit and email.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Field, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .administration.staff_actions import make_account_superuser
from .forms import RejectForm
from .models import Account, AuditEvent, Contact, Organisation, ProcessingOffice, User, WebAuthnCredential
from .services import (
    AccountStateError,
    reject_account,
    same_company_accounts,
    unlock_user,
    validate_account,
    with_same_company,
)
from .twofactor.services import reset_second_factors
from .typing import signed_in_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    _ModelAdminMixin = admin.ModelAdmin[Any]
else:
    _ModelAdminMixin = object


class _Counted(TypedDict):
    _account_count: int


def _login_through_the_portal(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponseRedirect:
    """The back office has no login form of its own: staff log in on the portal's page, with its
    lock after failed attempts (ACC-3) and its second factor (ACC-5)."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("account_login"))


# The stubs declare AdminSite.login a method; replacing it on the one site instance is the way
# django-allauth documents (admin.site.login = secure_admin_login(admin.site.login)).
admin.site.login = _login_through_the_portal  # type: ignore[method-assign]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrganisationInline(ReadOnlyInline):
    model = Organisation
    fields = ("name", "registration_number", "vat_number", "city", "country", "is_account_holder")
    readonly_fields = fields


class UserInline(ReadOnlyInline):
    model = User
    fields = ("username", "email", "is_account_superuser", "is_active", "last_login")
    readonly_fields = fields


class LanguageChoiceMixin(_ModelAdminMixin):
    """The language of an account or a user is picked among the portal's languages, not typed."""

    def formfield_for_dbfield(
        self, db_field: Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "language":
            return forms.ChoiceField(
                label=db_field.verbose_name.capitalize(), choices=settings.LANGUAGES, initial=db_field.default
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Account)
class AccountAdmin(LanguageChoiceMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "formula",
        "office",
        "status",
        "same_company",
        "created_at",
        "validated_at",
    )
    list_filter = ("status", "kind", "formula", "auth_type", "office")
    list_select_related = ("office",)
    search_fields = ("name", "organisations__registration_number", "users__username", "users__email")
    date_hierarchy = "created_at"
    readonly_fields = (
        "status",
        "created_at",
        "validated_at",
        "terms_accepted_at",
        "rejection_reason",
        "administrative_contact",
        "technical_contact",
        "same_company_accounts",
    )
    fieldsets = (
        (None, {"fields": ("name", "kind", "formula", "office", "auth_type", "approval_mode", "language")}),
        (
            _("Request"),
            {
                "fields": (
                    "status",
                    "created_at",
                    "terms_accepted_at",
                    "validated_at",
                    "rejection_reason",
                    "administrative_contact",
                    "technical_contact",
                    "same_company_accounts",
                )
            },
        ),
    )
    inlines = (OrganisationInline, UserInline)
    actions = ("validate_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return with_same_company(super().get_queryset(request))

    @admin.display(description=_("Same SIREN/VAT as"))
    def same_company(self, obj: Account) -> str:
        """Issue 13.6: flag a request whose SIREN or VAT number another account already has."""
        other = getattr(obj, "same_company_id", None)
        if other is None:
            return "—"
        url = reverse("admin:accounts_account_change", args=[other])
        return format_html('<a href="{}">{}</a>', url, _("account #%(id)s") % {"id": other})

    @admin.display(description=_("Same SIREN/VAT as"))
    def same_company_accounts(self, obj: Account) -> str:
        """Issue 13.6: every other account sharing the SIREN or VAT number, linked, so staff decide."""
        if obj.pk is None:
            return "—"
        others = same_company_accounts(obj)
        if not others:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:accounts_account_change", args=[o.pk]),
                    f"{o.name} ({o.get_status_display()})",
                )
                for o in others
            ),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts own invoices and an audit trail: they are blocked, never deleted.
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

    def _get_pending(self, request: HttpRequest, object_id: str) -> Account:
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        return account

    def _change_url(self, account: Account) -> str:
        return reverse("admin:accounts_account_change", args=[account.pk])

    def _render(
        self, request: HttpRequest, template: str, account: Account, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": account,
                "title": context.pop("title"),
                **context,
            },
        )

    def validate_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """ACC-2: confirmation page (GET), then validation (POST)."""
        account = self._get_pending(request, object_id)
        if account.status != Account.Status.PENDING:
            self.message_user(request, _("This account is not awaiting validation."), messages.WARNING)
            return redirect(self._change_url(account))
        if request.method == "POST":
            validate_account(account, by=signed_in_user(request))
            self.message_user(
                request,
                _("%(name)s is validated; its super user was sent a link to choose a password.")
                % {"name": account.name},
                messages.SUCCESS,
            )
            return redirect(self._change_url(account))
        return self._render(
            request,
            "admin/accounts/account/validate.html",
            account,
            title=_("Validate %(name)s") % {"name": account.name},
        )

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """ACC-2: a reason (GET form), then rejection (POST) with the reason emailed."""
        account = self._get_pending(request, object_id)
        if account.status != Account.Status.PENDING:
            self.message_user(request, _("This account is not awaiting validation."), messages.WARNING)
            return redirect(self._change_url(account))
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reject_account(account, form.cleaned_data["reason"], by=signed_in_user(request))
            self.message_user(
                request,
                _("%(name)s is rejected; the reason was emailed.") % {"name": account.name},
                messages.SUCCESS,
            )
            return redirect(self._change_url(account))
        return self._render(
            request,
            "admin/accounts/account/reject.html",
            account,
            form=form,
            title=_("Reject %(name)s") % {"name": account.name},
        )

    @admin.action(description=_("Validate the selected account requests"), permissions=["change"])
    def validate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for account in queryset.filter(status=Account.Status.PENDING):
            try:
                validate_account(account, by=signed_in_user(request))
            except AccountStateError:
                continue  # changed by someone else meanwhile
            done += 1
        self.message_user(request, _("%(count)d account(s) validated.") % {"count": done}, messages.SUCCESS)


class PasskeyInline(ReadOnlyInline):
    """ACC-6: the user's passkeys, for support; they are removed by "Reset the second factors"."""

    model = WebAuthnCredential
    fields = ("name", "created_at", "last_used_at")
    readonly_fields = fields
    show_change_link = False


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> tuple[tuple[str, StrOrPromise], ...]:
        return (("yes", _("Locked")), ("no", _("Not locked")))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(locked_at__isnull=self.value() == "no")
        return queryset


def _granting_only_own(form_class: type[forms.ModelForm], staff: User) -> type[forms.ModelForm]:
    """Issue 13: the user form of a staff member who is not a back-office super user refuses to
    grant permissions or groups they do not hold themself (taking them away stays possible)."""

    own_permissions = set(
        Permission.objects.filter(Q(user=staff) | Q(group__user=staff)).values_list("pk", flat=True)
    )
    own_groups = set(staff.groups.values_list("pk", flat=True))

    # A subclass of the form class Django built for this request: mypy cannot check a base class
    # held in a variable (valid-type, misc), whatever its annotation.
    class GrantingOnlyOwn(form_class):  # type: ignore[valid-type, misc]
        def clean(self) -> dict[str, Any]:
            super().clean()
            data = self.cleaned_data
            instance = self.instance
            for name, own, before in (
                (
                    "user_permissions",
                    own_permissions,
                    set(instance.user_permissions.values_list("pk", flat=True)) if instance.pk else set(),
                ),
                (
                    "groups",
                    own_groups,
                    set(instance.groups.values_list("pk", flat=True)) if instance.pk else set(),
                ),
            ):
                if name not in data or data[name] is None:
                    continue
                added = {item.pk for item in data[name]} - before
                if added - own:
                    self.add_error(
                        name,
                        forms.ValidationError(
                            _("You can grant only the permissions and groups you hold yourself."),
                            code="beyond_own_rights",
                        ),
                    )
            return data

    return GrantingOnlyOwn


@admin.register(User)
class UserAdmin(LanguageChoiceMixin, DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "account",
        "is_account_superuser",
        "is_active",
        "is_staff",
        "last_login",
        "locked_at",
    )
    list_filter = (
        "is_staff",
        "is_active",
        LockedFilter,
        "is_account_superuser",
        "right_technical",
        "right_commercial",
        "right_billing",
        "right_administrative",
        "right_approval",
    )
    actions = ("unlock_selected", "reset_second_factors_selected", make_account_superuser)
    inlines = (PasskeyInline,)
    list_select_related = ("account",)
    search_fields = ("username", "email", "first_name", "last_name", "account__name")
    autocomplete_fields = ("account",)
    readonly_fields = (
        "last_login",
        "previous_login",
        "date_joined",
        "password_changed_at",
        "failed_login_count",
        "locked_at",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone", "language")}),
        (
            _("Account and rights"),
            {
                "fields": (
                    "account",
                    "is_account_superuser",
                    "right_technical",
                    "right_commercial",
                    "right_billing",
                    "right_administrative",
                    "right_approval",
                )
            },
        ),
        (
            _("Back office"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "previous_login", "date_joined")}),
        (_("Login security"), {"fields": ("password_changed_at", "failed_login_count", "locked_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "account", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        """Issue 13: a staff member who is not a back-office super user cannot make one."""
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else (*fields, "is_superuser")

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return (
            form_class
            if request.user.is_superuser
            else _granting_only_own(form_class, signed_in_user(request))
        )

    @admin.action(description=_("Unlock the selected users"), permissions=["change"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """ACC-3 / STAFF-1: lift the lock after failed logins (audited by the service)."""
        done = sum(unlock_user(user, by=signed_in_user(request), request=request) for user in queryset)
        self.message_user(request, _("%(count)d user(s) unlocked.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Reset the second factors of the selected users"), permissions=["change"])
    def reset_second_factors_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """ACC-9 / STAFF-1: for a user who lost the app or the passkeys; ends their sessions."""
        done = sum(
            reset_second_factors(user, by=signed_in_user(request), request=request) for user in queryset
        )
        self.message_user(
            request, _("Second factors reset for %(count)d user(s).") % {"count": done}, messages.SUCCESS
        )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "registration_number", "account", "city", "country", "is_account_holder")
    list_filter = ("country", "is_account_holder")
    list_select_related = ("account",)
    search_fields = ("name", "registration_number", "vat_number", "account__name")
    autocomplete_fields = ("account",)
    readonly_fields = ("public_id", "is_account_holder", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An organisation never moves to another account.
        return (*self.readonly_fields, "account") if obj else self.readonly_fields


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "email", "phone", "organisation", "account")
    list_select_related = ("organisation", "account")
    search_fields = ("last_name", "first_name", "email", "organisation__name", "account__name")
    autocomplete_fields = ("organisation",)
    exclude = ("account",)  # follows the organisation (Contact.save)
    readonly_fields = ("public_id", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.readonly_fields, "organisation") if obj else self.readonly_fields


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """ADM-9 / PLAT-6: the trail is append-only, so the back office only reads it."""

    list_display = (
        "created_at",
        "actor_name",
        "is_staff_action",
        "action",
        "account",
        "object_type",
        "object_id",
    )
    list_filter = ("action", "is_staff_action", ("account", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("account",)
    search_fields = ("actor_name", "action", "object_id", "account__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessingOffice)
class ProcessingOfficeAdmin(admin.ModelAdmin):
    """STAFF-1: the offices staff assign accounts to (Account admin), with how to reach them."""

    list_display = ("name", "email", "phone", "hours", "account_count")
    search_fields = ("name", "email")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessingOffice]:
        return super().get_queryset(request).annotate(_account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="_account_count")
    def account_count(self, office: WithAnnotations[ProcessingOffice, _Counted]) -> int:
        return office._account_count
