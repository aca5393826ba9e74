"""Serving the stored PDF of an accounting document (PLAT-4); rendering is billing.services.pdf."""

from __future__ import annotations

from typing import Protocol

from django.http import HttpResponse


class StoredPdf(Protocol):
    """A document with its stored PDF: an accounting Document, a top-up's, a late-payment statement."""

    @property
    def pdf(self) -> bytes | memoryview: ...

    @property
    def pdf_filename(self) -> str: ...


def pdf_response(document: StoredPdf, *, inline: bool = False) -> HttpResponse:
    """The stored PDF of a document as a download."""
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.pdf_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
