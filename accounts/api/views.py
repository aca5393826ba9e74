"""API views (ADM-4, AUTO-6). Every view derives from `AccountAPIView`.

Tenant scope: AccountScopeMiddleware runs before DRF has read the token (the request is still
anonymous there), so `AccountAPIView` opens `scope(account=...)` itself right after authentication
and keeps it open until `dispatch` returns, whatever happens in between (an ExitStack around
`dispatch` closes it, even when an exception escapes the view). Rights: `required_rights` works as
in accounts.access.right_required: the API user needs one of them (none listed: any API user).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy
from django_scopes import scope
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Right, User

from . import schema  # noqa: F401 (registers the OpenAPI description of the token scheme)
from .auth import ApiTokenAuthentication


class HasRequiredRights(permissions.BasePermission):
    """ADM-2 on the API: one of the view's `required_rights`, held by an API user; a view whose
    methods need different rights (read a list, add to it) names them in `rights_by_method`."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_api_user):
            return False
        needed = getattr(view, "rights_by_method", {}).get(request.method) or getattr(
            view, "required_rights", ()
        )
        return not needed or any(user.has_right(right) for right in needed)


class AccountAPIView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated, HasRequiredRights]
    renderer_classes = [JSONRenderer]
    # Explicit, so decorators that read the schema class at import time see drf-spectacular's.
    schema = AutoSchema()
    required_rights: tuple[Right, ...] = ()
    rights_by_method: dict[str, tuple[Right, ...]] = {}  # noqa: RUF012 (read only)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with ExitStack() as self._scope_stack:
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        user = request.user
        if user.is_authenticated and user.account_id:
            self._scope_stack.enter_context(scope(account=user.account_id))


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    account = serializers.CharField(help_text="The account's company name.")
    rights = serializers.ListField(child=serializers.ChoiceField(choices=Right.choices))


@extend_schema(
    responses=MeSerializer,
    summary=gettext_lazy("The authenticated API user"),
    description=gettext_lazy(
        "The API user behind the token: who they are, for which account, with which rights."
    ),
)
class MeView(AccountAPIView):
    """The API user behind the token: who they are, for which account, with which rights."""

    def get(self, request: Request) -> Response:
        user = request.user
        # IsAuthenticated and ApiTokenAuthentication let in only an API user of an active account.
        assert isinstance(user, User) and user.account is not None
        data = {
            "username": user.username,
            "account": user.account.name,
            "rights": [r.value for r in user.rights],
        }
        return Response(MeSerializer(data).data)
