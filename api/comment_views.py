"""An order's comments through the API (LIFE-2): read them, add one, through `add_comment` as the
status page's form."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from orders.action_forms import CommentForm
from orders.models import OrderComment
from orders.services.actions import add_comment, can_comment
from orders.services.lifecycle import IllegalTransition

from .base import STATUS_PAGE_RIGHTS, TECHNICAL, ApiView, api_user, load_order
from .problems import Problem, invalid_form
from .serializers import CommentInputSerializer, CommentSerializer


def _comment(comment: OrderComment) -> dict[str, Any]:
    return {
        "author": comment.author_name,
        "from_staff": comment.from_staff,
        "text": comment.text,
        "created_at": comment.created_at,
    }


class OrderComments(ApiView):
    """LIFE-2: the order's comments, oldest first; add one while the order is open."""

    required_rights = STATUS_PAGE_RIGHTS  # the status page shows them
    rights_by_method = {"POST": (TECHNICAL,)}  # noqa: RUF012 (read only)

    @extend_schema(
        responses=CommentSerializer(many=True),
        summary=gettext_lazy("An order's comments"),
        tags=["orders"],
        description=gettext_lazy("The comments of the order, yours and our team's, oldest first."),
    )
    def get(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        comments = OrderComment.objects.filter(order=order).order_by("created_at", "pk")
        return Response(CommentSerializer([_comment(c) for c in comments], many=True).data)

    @extend_schema(
        request=CommentInputSerializer,
        responses={201: CommentSerializer},
        summary=gettext_lazy("Comment an order"),
        tags=["orders"],
        description=gettext_lazy("Add a comment for our team to an order that is not closed."),
    )
    def post(self, request: Request, reference: str) -> Response:
        order = load_order(request, reference)
        payload = CommentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        closed = _("Order %(reference)s is closed: it takes no more comments.") % {
            "reference": order.reference
        }
        if not can_comment(order):
            raise Problem(409, "closed", closed)
        form = CommentForm(payload.validated_data)
        if not form.is_valid():
            raise invalid_form(form)
        try:
            comment = add_comment(
                order, form.cleaned_data["text"], user=api_user(request), request=request._request
            )
        except IllegalTransition as exc:
            raise Problem(409, "closed", exc.message) from None
        except ValueError:  # blank once stripped
            raise Problem(
                400,
                "invalid",
                _("The request has invalid fields: see errors."),
                errors=[{"detail": _("Write a comment."), "pointer": "#/text"}],
            ) from None
        return Response(CommentSerializer(_comment(comment)).data, status=201)
