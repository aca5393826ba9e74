"""The user menu (ACC-8, /me/): every logged-in user of an account, for themself only.

No view takes an id: each one works on `request.user`, so nobody reaches another person's data.
Changing the email needs a recent authentication (ACC-9); the password is changed on allauth's
page (`account_change_password`).
"""

from __future__ import annotations

import json

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import account_user_required
from accounts.typing import AuthenticatedRequest

from . import services
from .forms import EmailChangeForm, ProcessingPurposesForm, ProfileForm

ACTIVITY_SHOWN = 20


@account_user_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponseBase:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        if services.update_profile(request.user, form.cleaned_data, request=request):
            messages.success(request, _("Your details are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("me:profile")
    return render(request, "me/profile.html", {"form": form})


@account_user_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def email(request: AuthenticatedRequest) -> HttpResponseBase:
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.change_email(request.user, form.cleaned_data["email"], request=request)
        messages.success(request, _("Your email is changed; your former address was told."))
        return redirect("me:profile")
    return render(request, "me/email.html", {"form": form})


def _personal_data_page(
    request: AuthenticatedRequest, purposes_form: ProcessingPurposesForm
) -> HttpResponseBase:
    user = request.user
    languages = dict(settings.LANGUAGES)
    fields = [
        (label, languages.get(user.language, user.language) if name == "language" else getattr(user, name))
        for name, label in services.STORED_FIELDS
    ]
    activity = services.own_activity(user)
    return render(
        request,
        "me/personal_data.html",
        {
            "fields": fields,
            "rights": user.rights,
            "purposes_form": purposes_form,
            "activity": activity[:ACTIVITY_SHOWN],
            "activity_count": activity.count(),
        },
    )


@account_user_required
@never_cache
def personal_data(request: AuthenticatedRequest) -> HttpResponseBase:
    form = ProcessingPurposesForm(initial={"purposes": request.user.processing_purposes})
    return _personal_data_page(request, form)


@account_user_required
@require_POST
def processing_purposes(request: AuthenticatedRequest) -> HttpResponseBase:
    form = ProcessingPurposesForm(request.POST)
    if not form.is_valid():
        return _personal_data_page(request, form)
    if services.set_processing_purposes(request.user, form.cleaned_data["purposes"], request=request):
        messages.success(request, _("Your choices are saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("me:personal_data")


@account_user_required
@never_cache
def personal_data_export(request: AuthenticatedRequest) -> HttpResponseBase:
    data = services.personal_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"personal-data-{slugify(request.user.username)}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
