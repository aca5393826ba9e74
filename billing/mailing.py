"""Emails of billing that carry a PDF: an issued invoice or quote, a SEPA mandate (LEDG-4, ADM-5).

Same rules as accounts.mail (PLAT-3): multipart, rendered in the recipient's language from
templates/emails/<name>.subject.txt / .txt / .html, sent by a Celery task queued through
the transactional outbox (`outbox.queue.enqueue`), so a rolled-back action sends nothing and a
broker that is down loses nothing. The task carries only ids: it
reloads the PDF from the database when it runs, so no PDF crosses the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_scopes import scopes_disabled

from accounts.mail import render_email
from outbox.queue import enqueue

logger = logging.getLogger(__name__)


def _document_pdf(pk: int) -> tuple[str, bytes]:
    from .models import Document

    document = Document.objects.only("display_number", "pdf").get(pk=pk)
    return document.pdf_filename, bytes(document.pdf)


def _mandate_pdf(pk: int) -> tuple[str, bytes]:
    from .models import SepaMandate

    mandate = SepaMandate.objects.only("reference", "pdf").get(pk=pk)
    return mandate.pdf_filename, bytes(mandate.pdf)


# Attachment kind -> loader of (file name, PDF bytes) by primary key.
ATTACHMENTS: dict[str, Callable[[int], tuple[str, bytes]]] = {
    "document": _document_pdf,
    "sepa_mandate": _mandate_pdf,
}


def build_message(
    template: str,
    to: list[str],
    context: dict,
    language: str,
    *,
    cc: list[str] | None = None,
    attachments: Sequence[tuple[str, int]] = (),
) -> EmailMultiAlternatives:
    """The multipart message with each (kind, pk) of `attachments` attached as a PDF."""
    subject, text, html = render_email(template, context, language)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to, cc=cc or [])
    message.attach_alternative(html, "text/html")
    # The task runs outside any request: it reads the rows it was given by id, across accounts.
    with scopes_disabled():
        for kind, pk in attachments:
            filename, pdf = ATTACHMENTS[kind](pk)
            if not pdf:
                raise ValueError(f"{kind} {pk} has no PDF to attach.")
            message.attach(filename, pdf, "application/pdf")
    return message


@shared_task(
    name="billing.mailing.send_email_with_pdf", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_email_with_pdf(
    template: str, to: list[str], context: dict, language: str, cc: list[str], attachments: list[list]
) -> None:
    build_message(
        template, to, context, language, cc=cc, attachments=[(kind, int(pk)) for kind, pk in attachments]
    ).send()


def send_pdf_mail_on_commit(
    template: str,
    to: list[str],
    context: dict,
    language: str,
    *,
    cc: list[str] | None = None,
    attachments: list[tuple[str, int]],
) -> None:
    """Queue one email with PDFs attached; `context` must be JSON-serialisable."""
    unknown = [kind for kind, _pk in attachments if kind not in ATTACHMENTS]
    if unknown:
        raise ValueError(f"Unknown attachment kinds: {unknown}")
    recipients = [address for address in dict.fromkeys(to) if address]
    copies = [address for address in dict.fromkeys(cc or []) if address and address not in recipients]
    if not recipients:
        logger.warning("Email %s with %s not sent: no recipient.", template, attachments)
        return
    payload = [[kind, pk] for kind, pk in attachments]
    enqueue(send_email_with_pdf, template, recipients, context, language, copies, payload)
