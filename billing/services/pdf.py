"""PDF rendering of accounting documents with WeasyPrint (PLAT-4).

A document is rendered once, at issue, in its own language, from the HTML templates under
billing/templates/billing/pdf/; the bytes are stored on the document and served as they are
(billing.pdf.pdf_response). Nothing is fetched while rendering: the templates carry their styles
and no image. Every PDF of billing (documents, statements, mandates, price lists) goes through
`html_to_pdf`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import translation

from .. import conf
from .vat import compute_totals

if TYPE_CHECKING:
    from ..models import Document


def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Billing PDFs load no external resource ({url[:60]}).")


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (WeasyPrint; nothing is fetched)."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    return HTML(string=html, url_fetcher=no_fetch).write_pdf()


def document_context(document: Document) -> dict[str, Any]:
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


def render_document_html(document: Document) -> str:
    with translation.override(document.language):
        return render_to_string(f"billing/pdf/{document.kind}.html", document_context(document))


def render_document_pdf(document: Document) -> bytes:
    """The PDF of `document`, in its language."""
    return html_to_pdf(render_document_html(document))
