"""Open the tenant scope for each request (STYLE.md 2; pretix control middleware does the same).

- a user of an account: `scope(account=<their account>)`, scoped managers filter by it;
- a staff member without an account (the back office at /staff/): scopes disabled, as the staff
  work across accounts by design;
- anyone else (anonymous pages): no scope at all, so an account-data query raises ScopeError
  unless the view opens a scope itself (registration, public CRLs).
"""

from contextlib import nullcontext

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_scopes import scope, scopes_disabled

from accounts.typing import GetResponse


class AccountScopeMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.account_id:
            context = scope(account=user.account_id)
        elif user is not None and user.is_authenticated and user.is_staff:
            context = scopes_disabled()
        else:
            context = nullcontext()
        with context:
            return self.get_response(request)
