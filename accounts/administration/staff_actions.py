"""STAFF-1 / ADM-1: the staff's change of an account's super user, as an action of the user admin.

accounts/admin.py registers it on UserAdmin: `actions = (make_account_superuser,)`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import User
from ..typing import signed_in_user
from .services import UserAdminError, change_account_superuser


@admin.action(description=_("Make super user of the account"), permissions=["change"])
def make_account_superuser(
    modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]
) -> None:
    """Exactly one user is selected; the account's former super user keeps every right, ticked."""
    selected = list(queryset[:2])
    if len(selected) != 1:
        modeladmin.message_user(request, _("Select exactly one user."), messages.ERROR)
        return
    user = selected[0]
    try:
        changed = change_account_superuser(user, by=signed_in_user(request), request=request)
    except UserAdminError:
        modeladmin.message_user(
            request,
            _("%(user)s cannot become a super user: only an active person of an account can.")
            % {"user": user.username},
            messages.ERROR,
        )
        return
    if changed:
        assert user.account is not None  # the service made them super user of their account
        modeladmin.message_user(
            request,
            _("%(user)s is now the super user of %(account)s.")
            % {"user": user.username, "account": user.account.name},
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(
            request, _("%(user)s already is the super user.") % {"user": user.username}, messages.INFO
        )
