"""GET /invoices (ACCT-1: invoices and credit notes of a period) and their stored PDFs."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_for_account
from accounts.models import Right
from billing.forms import DocumentFilterForm
from billing.models import Document, DocumentKind
from billing.pdf import pdf_response
from billing.services.accounting import accounting_documents

from .base import ApiView, Pages, api_account, file_renderer
from .problems import invalid_form
from .serializers import InvoiceSerializer

BILLING = (Right.BILLING,)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "date_from",
            OpenApiTypes.DATE,
            description=gettext_lazy("Issued on or after (1 January by default)."),
        ),
        OpenApiParameter(
            "date_to",
            OpenApiTypes.DATE,
            description=gettext_lazy("Issued on or before (31 December by default)."),
        ),
        OpenApiParameter("kind", str, enum=[DocumentKind.INVOICE.value, DocumentKind.CREDIT_NOTE.value]),
    ],
    responses=InvoiceSerializer(many=True),
    summary=gettext_lazy("Invoices and credit notes of a period"),
    description=gettext_lazy(
        "The account's invoices and credit notes issued in the period, newest first, as on the "
        "Accounting page (the current year by default)."
    ),
    tags=["invoices"],
)
class InvoiceList(ApiView, generics.GenericAPIView):
    """The account's invoices and credit notes issued in the period, newest first, as on the
    Accounting page (the current year by default)."""

    required_rights = BILLING
    pagination_class = Pages

    def get(self, request: Request) -> Response:
        form = DocumentFilterForm.from_query(request.query_params, timezone.localdate())
        if not form.is_valid():
            raise invalid_form(form)
        data = form.cleaned_data
        documents = accounting_documents(
            api_account(request), date_from=data["date_from"], date_to=data["date_to"], kind=data["kind"]
        )
        page = self.paginate_queryset(documents)
        assert page is not None
        rows = [
            {
                "public_id": d.public_id,
                "display_number": d.display_number,
                "kind": d.kind,
                "status": d.status,
                "issue_date": d.issue_date,
                "due_date": d.due_date,
                "total_excl_vat": d.total_excl_vat,
                "total_vat": d.total_vat,
                "total_incl_vat": d.total_incl_vat,
                "currency": d.currency,
                "related_number": getattr(d, "related_number", None),
                "pdf_url": reverse("api:invoice_pdf", args=[d.public_id]),
            }
            for d in page
        ]
        return self.get_paginated_response(InvoiceSerializer(rows, many=True).data)


@extend_schema(
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF")},
    parameters=[OpenApiParameter("format", exclude=True)],
    summary=gettext_lazy("The PDF of an invoice or credit note"),
    description=gettext_lazy("The stored PDF of one of the account's documents, as it was issued."),
    tags=["invoices"],
)
class InvoicePdf(ApiView):
    """The stored PDF of one of the account's documents, as it was issued."""

    required_rights = BILLING
    renderer_classes = [*ApiView.renderer_classes, file_renderer("application/pdf")]

    def get(self, request: Request, public_id: str) -> HttpResponseBase:
        document = get_for_account(Document.objects.all(), api_account(request), public_id=public_id)
        if not document.pdf:
            raise Http404
        return pdf_response(document)
