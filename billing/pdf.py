"""Serving the stored PDF of an accounting document (PLAT-4); rendering is billing.services.pdf."""

from __future__ import annotations

from django.http import HttpResponse

from .models import Document


def pdf_response(document: Document, *, inline: bool = False) -> HttpResponse:
    """The stored PDF of a document as a download."""
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.pdf_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
