"""AUTO-5: the documentation space at /documentation/, open to every user of an account.

Product sheets per brand (staff write them at /staff/, with files), the newsletters (every news
item of the home page, archived), and the portal's user guide in French and English, readable here
and downloadable as a PDF rendered by WeasyPrint from the same pages. It links the API's OpenAPI
schema (AUTO-6).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.access import account_user_required
from catalog.models import Brand, News, ProductSheet, ProductSheetAttachment

GUIDE_LANGUAGES = {"en": "English", "fr": "Français"}


def _language() -> str:
    return (translation.get_language() or "en")[:2]


def _sheets_for(language: str) -> QuerySet[ProductSheet]:
    return (
        ProductSheet.objects.filter(Q(language="") | Q(language=language), active=True, brand__active=True)
        .select_related("brand")
        .prefetch_related("attachments", Prefetch("products"))
    )


def _api_links() -> list[tuple[str, str]]:
    """AUTO-6 pages that exist: the API reference page and the OpenAPI schema (the ACME pages come
    with issue 10)."""
    links = []
    for name, label in (
        ("api:docs", _("API reference: every operation, its parameters and answers")),
        ("api:schema", _("OpenAPI 3 description of the API (YAML)")),
    ):
        try:
            links.append((str(label), reverse(name)))
        except NoReverseMatch:
            continue
    return links


@account_user_required
def index(request: HttpRequest) -> HttpResponse:
    """The space: sheets by brand, the latest newsletters, the guide and the API documentation."""
    language = _language()
    sheets = list(_sheets_for(language))
    brands: dict[Brand, list[ProductSheet]] = {}
    for sheet in sheets:
        brands.setdefault(sheet.brand, []).append(sheet)
    return render(
        request,
        "documentation/index.html",
        {
            "brands": brands.items(),
            "news": _news(language)[:3],
            "guide_languages": GUIDE_LANGUAGES.items(),
            "api_links": _api_links(),
        },
    )


@account_user_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_sheets_for(_language()), pk=pk)
    return render(request, "documentation/sheet.html", {"sheet": item})


@account_user_required
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = get_object_or_404(
        ProductSheetAttachment.objects.select_related("sheet__brand"),
        pk=pk,
        sheet__active=True,
        sheet__brand__active=True,
    )
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _news(language: str) -> QuerySet[News]:
    return News.objects.filter(Q(language="") | Q(language=language), published_at__lte=timezone.now())


@account_user_required
def newsletters(request: HttpRequest) -> HttpResponse:
    """Every news item ever shown on the home page, newest first."""
    return render(request, "documentation/newsletters.html", {"news": _news(_language())})


def _guide_context(language: str) -> dict:
    return {"guide_language": language, "guide_template": f"documentation/guide/{language}.html"}


@account_user_required
def guide(request: HttpRequest, language: str | None = None) -> HttpResponse:
    """The user guide in `language` (by default the interface's), whatever the interface language."""
    language = language or (_language() if _language() in GUIDE_LANGUAGES else "en")
    if language not in GUIDE_LANGUAGES:
        raise Http404
    return render(
        request,
        "documentation/guide.html",
        {**_guide_context(language), "guide_languages": GUIDE_LANGUAGES.items()},
    )


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"The guide PDF loads no external resource ({url[:60]}).")


def render_guide_pdf(language: str) -> bytes:
    """The guide as a PDF, from the same content templates as the pages."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    with translation.override(language):
        html = render_to_string("documentation/guide_pdf.html", _guide_context(language))
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


@functools.lru_cache(maxsize=4)
def _guide_pdf_of_the_day(language: str, day: datetime.date) -> bytes:
    """The guide changes only with a deployment (and its date daily): render it once per process."""
    return render_guide_pdf(language)


@account_user_required
def guide_pdf(request: HttpRequest, language: str) -> HttpResponse:
    if language not in GUIDE_LANGUAGES:
        raise Http404
    pdf = _guide_pdf_of_the_day(language, timezone.localdate())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="portal-user-guide-{language}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
