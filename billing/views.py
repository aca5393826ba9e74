"""Customer pages of billing. For now: the download of an issued document's PDF (ACCT-1)."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase

from accounts.access import get_for_account, right_required
from accounts.models import Right
from accounts.typing import AuthenticatedRequest

from .models import Document
from .pdf import pdf_response


@right_required(Right.BILLING)
def document_pdf(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """ACCT-1: the stored PDF of one of the account's documents, as it was issued."""
    document = get_for_account(Document.objects.all(), request.user.account, public_id=public_id)
    if not document.pdf:
        raise Http404
    return pdf_response(document)
