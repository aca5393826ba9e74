"""Public registration pages (ACC-1): the form, then "your request awaits validation"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.typing import AuthenticatedRequest

from .forms import RegistrationForm
from .services import register_account, registration_prefill, same_company_accounts


@require_http_methods(["GET", "POST"])
def register(request: AuthenticatedRequest) -> HttpResponseBase:
    language = translation.get_language()
    initial = {"language": language} if language in dict(settings.LANGUAGES) else {}
    prefilled = registration_prefill(request.GET.get("prefill", ""))
    initial.update(prefilled)
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        # A robot filled in the hidden field: answer as if it worked, create nothing.
        if not form.is_bot():
            account = register_account(form.cleaned_data, request=request)
            if same_company_accounts(account):
                # Issue 13.6: said without naming any account; staff see which one at validation.
                messages.info(
                    request,
                    _(
                        "This company may already have an account on the portal. If so, ask its "
                        "super user to create a user for you; our staff will examine your request "
                        "with this in mind."
                    ),
                )
        return redirect("registration:done")
    return render(request, "accounts/register.html", {"form": form, "prefilled": bool(prefilled)})


def register_done(request: AuthenticatedRequest) -> HttpResponseBase:
    return render(request, "accounts/register_done.html")
