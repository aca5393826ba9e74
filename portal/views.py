from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from accounts.access import account_user_required
from accounts.typing import AuthenticatedRequest

from .home import home_blocks


def root(request: AuthenticatedRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        if request.user.is_staff and request.user.account_id is None:
            return redirect("admin:index")
        return redirect("home")
    return render(request, "portal/welcome.html")


@account_user_required
def home(request: AuthenticatedRequest) -> HttpResponseBase:
    return render(request, "portal/home.html", home_blocks(request.user))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the refused form explained in the portal's layout and the user's language."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
