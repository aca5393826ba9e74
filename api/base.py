"""What every view of the API shares: the token and tenant scope of `AccountAPIView`, JSON in and
out, page-number pagination, and the loaders that answer 404 (never 403) for another account's
object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from rest_framework import parsers, renderers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from accounts.access import get_for_account
from accounts.api.views import AccountAPIView
from accounts.models import Account, Right, User
from orders.models import Certificate, Order

TECHNICAL = Right.TECHNICAL
APPROVAL = Right.APPROVAL
LIST_RIGHTS = (Right.TECHNICAL, Right.COMMERCIAL)  # as the order lists
# The status page (orders.views.status.detail): approvers too (ORD-5), who approve from it and
# must read what they approve.
STATUS_PAGE_RIGHTS = (Right.TECHNICAL, Right.COMMERCIAL, Right.APPROVAL)


class ApiView(AccountAPIView):
    renderer_classes = [renderers.JSONRenderer]  # problems are JSON with their own media type
    parser_classes = [parsers.JSONParser]  # JSON bodies only: anything else answers 415


class Pages(PageNumberPagination):
    """`?page=` and `?per_page=` (25 by default, 100 at most), as the pages' lists."""

    page_size = 25
    page_size_query_param = "per_page"
    max_page_size = 100


def api_user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def api_account(request: Request) -> Account:
    """The token's account (an API user always has one)."""
    account = api_user(request).account
    assert account is not None
    return account


def load_order(request: Request, reference: str, queryset: QuerySet[Order] | None = None) -> Order:
    """The token's account's order, or 404."""
    queryset = queryset if queryset is not None else Order.objects.all()
    return get_for_account(
        queryset.select_related("product__brand", "organisation", "source_order"),
        api_account(request),
        reference=reference,
    )


def load_certificate(order: Order, serial: str) -> Certificate:
    return get_for_account(
        Certificate.objects.select_related("issuer__parent").filter(order=order), order.account, serial=serial
    )


def file_renderer(media_type: str) -> type[renderers.BaseRenderer]:
    """A renderer that only lets a client asking for `media_type` be served (the view answers the
    bytes itself); errors still answer JSON problem documents."""

    class FileRenderer(renderers.BaseRenderer):
        format = media_type.rsplit("/", 1)[-1]
        charset = None

        def render(
            self,
            data: Any,
            accepted_media_type: str | None = None,
            renderer_context: Mapping[str, Any] | None = None,
        ) -> bytes:
            return renderers.JSONRenderer().render(data, accepted_media_type, renderer_context)

    FileRenderer.media_type = media_type
    return FileRenderer
