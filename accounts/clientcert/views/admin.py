"""ADM-3: the certificate actions of users administration, for certificate-login accounts:
issue (or reactivate with) a new certificate as a PKCS#12 file or through a link for a key made in
the user's browser; suspend (orange); revoke and block (red); delete.

Every view needs the Administrative right and a recent authentication (STYLE.md 10): the PKCS#12
form before it opens (its password then never goes through the re-authentication), the others
when their form is posted (allauth replays the post). Another account's user is not found (404);
in an account that does not log in by certificate these actions do not exist (404).
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import right_required
from accounts.administration import pages
from accounts.administration.services import UserAdminError
from accounts.models import Account, Right, User
from accounts.typing import AuthenticatedRequest

from .. import services
from ..forms import Pkcs12Form

ADMINISTRATIVE = Right.ADMINISTRATIVE


def _certificate_account(request: AuthenticatedRequest) -> None:
    """These actions exist only in an account that logs in by certificate (404 elsewhere)."""
    if request.user.account.auth_type != Account.AuthType.CERTIFICATE:
        raise Http404


def _target(request: AuthenticatedRequest, public_id: str) -> User:
    """A person of the administrator's certificate-login account, not the administrator."""
    _certificate_account(request)
    return pages.get_other_person(request, public_id)


def _removable(request: AuthenticatedRequest, public_id: str) -> User:
    """Suspending, revoking or deleting spares the super user (our staff change it, ADM-1)."""
    _certificate_account(request)
    return pages.get_manageable(request, public_id)


@right_required(ADMINISTRATIVE)
@reauthentication_required
@never_cache
@require_http_methods(["GET", "POST"])
def issue_pkcs12(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """A new certificate in a PKCS#12 file; the answer to the post is the file itself."""
    target = _target(request, public_id)
    form = Pkcs12Form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record, data = services.issue_pkcs12(
            target, form.cleaned_data["password1"], by=request.user, request=request
        )
        response = HttpResponse(data, content_type="application/x-pkcs12")
        response["Content-Disposition"] = f'attachment; filename="{record.username}-portal-login.p12"'
        return response
    return render(request, "clientcert/issue_pkcs12.html", {"target": target, "form": form})


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@never_cache
@require_http_methods(["GET", "POST"])
def issue_link(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """A single-use link for the user to make their key in their browser; emailed and shown once."""
    target = _target(request, public_id)
    if request.method == "POST":
        enrolment, url = services.create_enrolment(target, by=request.user, request=request)
        return render(
            request, "clientcert/link_shown.html", {"target": target, "url": url, "enrolment": enrolment}
        )
    return pages.confirm(
        request,
        target,
        title=_("Certificate made in the browser of %(name)s") % {"name": pages.display_name(target)},
        text=_(
            "%(name)s receives by email a link, valid for %(days)d days, to make their key and certificate in "
            "their own browser. The link is also shown to you once."
        )
        % {"name": pages.display_name(target), "days": services.enrolment_lifetime().days},
        button=_("Send the link"),
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def suspend(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    target = _removable(request, public_id)
    if request.method == "POST":
        if services.suspend(target, by=request.user, request=request):
            messages.success(
                request, _("The certificate of %(name)s is suspended.") % {"name": pages.display_name(target)}
            )
        else:
            messages.info(
                request, _("%(name)s has no active certificate.") % {"name": pages.display_name(target)}
            )
        return pages.back_to_user(target)
    return pages.confirm(
        request,
        target,
        title=_("Suspend the certificate of %(name)s") % {"name": pages.display_name(target)},
        text=_(
            "They can no longer log in and their open sessions end now. Reactivating them issues "
            "a new certificate."
        ),
        button=_("Suspend"),
        tone="warning",
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def revoke(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    target = _removable(request, public_id)
    if request.method == "POST":
        if services.revoke_and_block(target, by=request.user, request=request):
            messages.success(
                request,
                _("The certificate of %(name)s is revoked and their access blocked.")
                % {"name": pages.display_name(target)},
            )
        return pages.back_to_user(target)
    return pages.confirm(
        request,
        target,
        title=_("Revoke and block %(name)s") % {"name": pages.display_name(target)},
        text=_(
            "Their certificate is revoked for good and their access blocked; their open sessions "
            "end now. Only a new certificate reactivates them."
        ),
        button=_("Revoke and block"),
        tone="danger",
    )


@right_required(ADMINISTRATIVE)
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def delete(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    target = _removable(request, public_id)
    if request.method == "POST":
        name = pages.display_name(target)
        try:
            services.delete_user(target, by=request.user, request=request)
        except UserAdminError:
            messages.error(
                request, _("%(name)s cannot be deleted; revoke and block them instead.") % {"name": name}
            )
            return pages.back_to_user(target)
        messages.success(request, _("%(name)s is deleted and their certificate revoked.") % {"name": name})
        return redirect("administration:users")
    return pages.confirm(
        request,
        target,
        title=_("Delete %(name)s") % {"name": pages.display_name(target)},
        text=_(
            "Their certificate is revoked and the user removed for good. The logs keep their name "
            "on what they did."
        ),
        button=_("Delete"),
        tone="danger",
    )
