"""PDF rendering of accounting documents with WeasyPrint (PLAT-4).

A document is rendered once, at issue, in its own language, from the HTML templates under
billing/templates/billing/pdf/; the bytes are stored on the document and served as they are.
Nothing is fetched while rendering: the templates carry their styles and no image.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from . import conf
from .services.vat import compute_totals


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"Document PDFs load no external resource ({url[:60]}).")


def document_context(document) -> dict:
    lines = list(document.lines.all())
    totals = compute_totals((line.vat_rate, line.total_excl_vat) for line in lines)
    return {
        "document": document,
        "lines": lines,
        "vat_lines": totals.per_rate,
        "seller": document.seller,
        "recovery_indemnity": conf.RECOVERY_INDEMNITY_EUR,
        "related": document.related_document,
    }


def render_document_html(document) -> str:
    with translation.override(document.language):
        return render_to_string(f"billing/pdf/{document.kind}.html", document_context(document))


def render_document_pdf(document) -> bytes:
    """The PDF of `document`, in its language."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    return HTML(string=render_document_html(document), url_fetcher=_no_fetch).write_pdf()


def pdf_response(document, *, inline: bool = False) -> HttpResponse:
    """The stored PDF of a document as a download."""
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.pdf_filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
