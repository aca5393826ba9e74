"""The Administration section (NAV-1, /administration/): users (ADM-1, ADM-2), API users (ADM-4),
logs (ADM-9). Every view needs the Administrative right; API users' changes need the super user.

Sensitive actions ask for a recent authentication (STYLE.md 10, ACC-9) with allauth's
`reauthentication_required`: the add-user and new-token forms before they open (they then carry
no password through the re-authentication), the other actions when their form is posted (allauth
replays the post after the password is confirmed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import get_for_account, right_required
from accounts.lists import configure_table
from accounts.models import Account, ApiToken, AuditEvent, Right, User
from accounts.typing import AuthenticatedRequest

from . import logs as audit_logs
from . import pages, services
from .forms import ApiTokenForm, ApiUserForm, AuditLogFilterForm, UserAddForm, UserRightsForm
from .tables import ApiUserTable, AuditEventTable, CertificateUserTable, UserTable, with_certificates

ADMINISTRATIVE = Right.ADMINISTRATIVE
PER_PAGE = 25
P = ParamSpec("P")
LOG_PER_PAGE = 50
NEW_TOKEN_SESSION_KEY = "administration_new_api_token"  # noqa: S105 (a session key name)


def account_superuser_only(
    view: Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase],
) -> Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]:
    """ADM-4: API users and their tokens are the super user's alone (403 for anyone else)."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_account_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


_people = pages.people
_get_person = pages.get_person
_get_manageable = pages.get_manageable
_name = pages.display_name
_confirm = pages.confirm


# Users (ADM-1, ADM-2) ----------------------------------------------------------------------------


@right_required(ADMINISTRATIVE)
def users(request: AuthenticatedRequest) -> HttpResponseBase:
    if request.user.account.auth_type == Account.AuthType.CERTIFICATE:
        return _certificate_users(request)
    table = UserTable(_people(request.user.account))
    configure_table(request, table, PER_PAGE)
    return render(request, "administration/users.html", {"table": table})


@right_required(ADMINISTRATIVE)
@reauthentication_required
@require_http_methods(["GET", "POST"])
def user_add(request: AuthenticatedRequest) -> HttpResponseBase:
    form = UserAddForm(
        request.POST or None,
        initial={"language": request.user.account.language},
        grantable=services.grantable_rights(request.user),
    )
    if request.method == "POST" and form.is_valid():
        user = services.create_user(request.user.account, form.cleaned_data, by=request.user, request=request)
        if request.user.account.auth_type == Account.AuthType.CERTIFICATE:
            return _issue_certificate_to_new_user(request, user)
        if form.cleaned_data["notify"]:
            messages.success(
                request, _("%(name)s is added and was sent their username by email.") % {"name": _name(user)}
            )
        else:
            messages.success(request, _("%(name)s is added.") % {"name": _name(user)})
        return redirect("administration:user_detail", user.public_id)
    return render(request, "administration/user_add.html", {"form": form})


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def user_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """A user's identity (read only: ADM-1), rights (the form of this page) and state actions."""
    target = _get_person(request, public_id)
    editable = not target.is_account_superuser and target.pk != request.user.pk
    if request.method == "POST" and not editable:
        raise PermissionDenied
    held = services.stored_rights(target)
    form = UserRightsForm(
        request.POST or None,
        initial={"rights": sorted(held)},
        grantable=services.grantable_rights(request.user),
        held=held,
    )
    if request.method == "POST" and form.is_valid():
        if services.change_rights(target, form.cleaned_data["rights"], by=request.user, request=request):
            messages.success(request, _("The rights of %(name)s are saved.") % {"name": _name(target)})
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("administration:user_detail", target.public_id)
    return render(
        request, "administration/user_detail.html", {"target": target, "form": form, "editable": editable}
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def user_suspend(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    target = _get_manageable(request, public_id)
    if request.method == "POST":
        if services.suspend_user(target, by=request.user, request=request):
            messages.success(
                request, _("%(name)s is suspended; their open sessions have ended.") % {"name": _name(target)}
            )
        return redirect("administration:user_detail", target.public_id)
    return _confirm(
        request,
        target,
        title=_("Suspend %(name)s") % {"name": _name(target)},
        text=_("They can no longer log in and their open sessions end now. You can reactivate them later."),
        button=_("Suspend"),
        tone="danger",
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def user_reactivate(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    target = _get_manageable(request, public_id)
    if request.method == "POST":
        if services.reactivate_user(target, by=request.user, request=request):
            messages.success(request, _("%(name)s is active again.") % {"name": _name(target)})
        return redirect("administration:user_detail", target.public_id)
    return _confirm(
        request,
        target,
        title=_("Reactivate %(name)s") % {"name": _name(target)},
        text=_("They can log in again with their password and rights."),
        button=_("Reactivate"),
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def user_delete(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    target = _get_manageable(request, public_id)
    if request.method == "POST":
        name = _name(target)
        try:
            services.delete_user(target, by=request.user, request=request)
        except services.UserAdminError:
            messages.error(request, _("%(name)s cannot be deleted; suspend them instead.") % {"name": name})
            return redirect("administration:user_detail", target.public_id)
        messages.success(request, _("%(name)s is deleted.") % {"name": name})
        return redirect("administration:users")
    return _confirm(
        request,
        target,
        title=_("Delete %(name)s") % {"name": _name(target)},
        text=_("The user is removed for good. The logs keep their name on what they did."),
        button=_("Delete"),
        tone="danger",
    )


@right_required(ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def user_unlock(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ACC-3: unlock a user locked after repeated failed logins (the super user too: it is a rescue)."""
    target = _get_person(request, public_id)
    if target.pk == request.user.pk:
        raise PermissionDenied
    if target.locked_at is None:
        messages.info(request, _("%(name)s is not locked.") % {"name": _name(target)})
        return redirect("administration:user_detail", target.public_id)
    if request.method == "POST":
        from accounts.services import unlock_user

        unlock_user(target, by=request.user, request=request)
        messages.success(request, _("%(name)s is unlocked and can log in again.") % {"name": _name(target)})
        return redirect("administration:user_detail", target.public_id)
    return _confirm(
        request,
        target,
        title=_("Unlock %(name)s") % {"name": _name(target)},
        text=_(
            "The login was locked after repeated wrong passwords. Unlock it if you know "
            "these attempts came from the user."
        ),
        button=_("Unlock"),
    )


# Certificate-login accounts (ADM-3, accounts.clientcert) ----------------------------------------


def _certificate_users(request: AuthenticatedRequest) -> HttpResponseBase:
    """The users list with each user's certificate and the certificate actions."""
    table = CertificateUserTable(with_certificates(_people(request.user.account)), viewer=request.user)
    configure_table(request, table, PER_PAGE)
    return render(request, "administration/users.html", {"table": table})


def _issue_certificate_to_new_user(request: AuthenticatedRequest, user: User) -> HttpResponseBase:
    """ADM-3: adding a user of a certificate-login account goes on to issuing their certificate."""
    messages.success(
        request,
        _(
            "%(name)s is added. Now issue their login certificate: a file for them, or a "
            "link to make it in their browser."
        )
        % {"name": _name(user)},
    )
    return redirect(reverse("administration:user_detail", args=[user.public_id]) + "#certificate")


# API users (ADM-4) -------------------------------------------------------------------------------


def _get_api_user(request: AuthenticatedRequest, public_id: str) -> User:
    account = request.user.account
    return get_for_account(User.objects.filter(is_api_user=True), account, public_id=public_id)


def _show_token_once(
    request: AuthenticatedRequest, api_user: User, raw: str, prefix: str
) -> HttpResponseBase:
    """The raw token goes through the session to the next page, which removes it as it shows it."""
    request.session[NEW_TOKEN_SESSION_KEY] = {
        "token": raw,
        "prefix": prefix,
        "user": api_user.public_id,
        "name": api_user.first_name,
    }
    return redirect("administration:api_token_shown")


@right_required(ADMINISTRATIVE)
def api_users(request: AuthenticatedRequest) -> HttpResponseBase:
    people = User.objects.filter(account=request.user.account, is_api_user=True).prefetch_related(
        "api_tokens"
    )
    table = ApiUserTable(people, can_manage=request.user.is_account_superuser)
    configure_table(request, table, PER_PAGE)
    return render(request, "administration/api_users.html", {"table": table})


@right_required(ADMINISTRATIVE)
@account_superuser_only
@reauthentication_required
@require_http_methods(["GET", "POST"])
def api_user_add(request: AuthenticatedRequest) -> HttpResponseBase:
    form = ApiUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_user, token, raw = services.create_api_user(
            request.user.account,
            name=form.cleaned_data["name"],
            rights=form.cleaned_data["rights"],
            by=request.user,
            request=request,
            expires_at=form.expires_at(),
        )
        return _show_token_once(request, api_user, raw, token.prefix)
    return render(request, "administration/api_user_add.html", {"form": form})


@right_required(ADMINISTRATIVE)
@account_superuser_only
@reauthentication_required
@require_http_methods(["GET", "POST"])
def api_token_new(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    api_user = _get_api_user(request, public_id)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw = services.create_api_token(
            api_user,
            name=form.cleaned_data["name"],
            by=request.user,
            request=request,
            expires_at=form.expires_at(),
        )
        return _show_token_once(request, api_user, raw, token.prefix)
    return render(request, "administration/api_token_new.html", {"api_user": api_user, "form": form})


@right_required(ADMINISTRATIVE)
@account_superuser_only
@never_cache
def api_token_shown(request: AuthenticatedRequest) -> HttpResponseBase:
    shown = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    if shown is None:
        messages.warning(
            request, _("A token is shown only once. If it is lost, revoke it and create a new one.")
        )
        return redirect("administration:api_users")
    return render(request, "administration/api_token_shown.html", {"shown": shown})


@right_required(ADMINISTRATIVE)
@account_superuser_only
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: AuthenticatedRequest, public_id: str, prefix: str) -> HttpResponseBase:
    api_user = _get_api_user(request, public_id)
    token = ApiToken.objects.filter(user=api_user, prefix=prefix).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        if services.revoke_api_token(token, by=request.user, request=request):
            messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
        return redirect("administration:api_users")
    return render(request, "administration/api_token_revoke.html", {"api_user": api_user, "token": token})


# Logs (ADM-9) ------------------------------------------------------------------------------------


def _filtered_events(
    request: AuthenticatedRequest,
) -> tuple[AuditLogFilterForm, QuerySet[AuditEvent, AuditEvent]]:
    account = request.user.account
    form = AuditLogFilterForm(request.GET or None, actions=audit_logs.action_codes(account))
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_logs.audit_events(
        account,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        action=filters.get("action", ""),
    )
    return form, events


@right_required(ADMINISTRATIVE)
def logs(request: AuthenticatedRequest) -> HttpResponseBase:
    form, events = _filtered_events(request)
    table = AuditEventTable(events)
    configure_table(request, table, LOG_PER_PAGE)
    query = request.GET.copy()
    for key in ("page", "sort"):
        query.pop(key, None)
    export_url = reverse("administration:logs_export") + (f"?{query.urlencode()}" if query else "")
    return render(
        request, "administration/logs.html", {"form": form, "table": table, "export_url": export_url}
    )


@right_required(ADMINISTRATIVE)
def logs_export(request: AuthenticatedRequest) -> HttpResponseBase:
    form, events = _filtered_events(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Correct the filter before exporting."))
        return redirect(reverse("administration:logs") + f"?{request.GET.urlencode()}")
    response = StreamingHttpResponse(
        audit_logs.csv_lines(events, translation.get_language()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
