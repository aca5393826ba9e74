"""An order's comments through the API (LIFE-2): read them, add one, through `add_comment` as the
status page's form."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from orders.action_forms import CommentForm
from orders.models import Order, OrderComment
from orders.services.actions import add_comment, can_comment

from .action_views import OrderAction
from .base import STATUS_PAGE_RIGHTS, TECHNICAL, load_order
from .problems import Problem, invalid_form
from .serializers import CommentInputSerializer, CommentSerializer


def _comment(comment: OrderComment) -> dict[str, Any]:
    return {
        "author": comment.author_name,
        "from_staff": comment.from_staff,
        "text": comment.text,
        "created_at": comment.created_at,
    }


@extend_schema_view(
    post=extend_schema(
        request=CommentInputSerializer,
        responses={201: CommentSerializer},
        summary=gettext_lazy("Comment an order"),
        tags=["orders"],
        description=gettext_lazy("Add a comment for our team to an order that is not closed."),
    )
)
class OrderComments(OrderAction):
    """LIFE-2: the order's comments, oldest first; add one while the order is open (an OrderAction
    answering the comment it added)."""

    required_rights = STATUS_PAGE_RIGHTS  # the status page shows them
    rights_by_method = {"POST": (TECHNICAL,)}  # noqa: RUF012 (read only)
    input_serializer = CommentInputSerializer
    conflict_code = "closed"
    status_code = 201

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

    def refusal(self, order: Order, target: Any) -> str:
        if not can_comment(order):
            return _("Order %(reference)s is closed: it takes no more comments.") % {
                "reference": order.reference
            }
        return ""

    def act(
        self, order: Order, target: Any, data: dict[str, Any], user: User, request: HttpRequest
    ) -> OrderComment:
        form = CommentForm(data)
        if not form.is_valid():
            raise invalid_form(form)
        try:
            return add_comment(order, form.cleaned_data["text"], user=user, request=request)
        except ValueError:  # blank once stripped
            raise Problem(
                400,
                "invalid",
                _("The request has invalid fields: see errors."),
                errors=[{"detail": _("Write a comment."), "pointer": "#/text"}],
            ) from None

    def answer(self, order: Order, result: OrderComment, user: User) -> Response:
        return Response(CommentSerializer(_comment(result)).data, status=self.status_code)
