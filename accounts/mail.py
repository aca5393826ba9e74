"""Every email of the portal (PLAT-3): multipart, in the recipient's language, sent by a task.

`send_mail_on_commit` is what callers use: the message is rendered and sent by a Celery task
queued through the transactional outbox (`outbox.queue.enqueue`): written in the current
transaction, so a rolled-back action sends nothing and a broker that is down loses nothing.
Templates live in templates/emails/<name>.subject.txt, .txt and .html.

The sending task lives here, next to what it calls; `accounts.tasks` re-exports it for Celery's
autodiscovery under its historical name, so this module imports no other module of the app.
"""

from __future__ import annotations

import html as html_lib
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from outbox.queue import enqueue

if TYPE_CHECKING:
    from .models import Account


def render_email(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        # A subject is plain text: undo the HTML escaping of the template engine (issue 13: no
        # "&quot;" for a company name with quotes); unescape(escape(x)) == x for any value.
        subject = html_lib.unescape(render_to_string(f"emails/{template}.subject.txt", context)).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return " ".join(subject.split()), text, html


def send_now(
    template: str, to: list[str], context: dict[str, Any], language: str, cc: list[str] | None = None
) -> None:
    subject, text, html = render_email(template, context, language)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to, cc=cc or [])
    if not context.get("plain_text_only"):  # MON-1: a recipient may want plain-text emails only
        message.attach_alternative(html, "text/html")
    message.send()


def copy_addresses(account: Account | None, to: list[str]) -> list[str]:
    """ADM-6 / PLAT-3: the account's generic copy address, copied on every email about it."""
    if account is None or not account.copy_email or account.copy_email in to:
        return []
    return [account.copy_email]


def contact_point_languages(account: Account | None) -> dict[str, str]:
    """ADM-5 / ADM-6: each contact point's address and the language its emails are written in."""
    if account is None:
        return {}
    points = (
        (account.invoice_email, account.invoice_email_language),
        (account.emergency_email, account.emergency_email_language),
        (account.copy_email, account.copy_email_language),
    )
    return {email: language for email, language in points if email}


def send_mail_on_commit(
    template: str,
    to: list[str],
    context: dict[str, Any],
    language: str = "en",
    cc: list[str] | None = None,
    account: Account | None = None,
) -> None:
    """Queue one email through the outbox; context must be JSON-serialisable (it crosses the broker).

    `account` is the customer account the email is about (None for staff emails): its generic copy
    address (ADM-6) gets the email too. Every contact point (copy, invoice and emergency addresses)
    reads it in its own language: copied when that is the email's language, else sent its own
    message rendered in its language.
    """
    points = contact_point_languages(account)
    cc = [*(cc or []), *copy_addresses(account, [*to, *(cc or [])])]
    apart = [email for email in cc if email not in to and points.get(email, language) != language]
    enqueue(send_templated_email, template, to, context, language, [e for e in cc if e not in apart])
    for email in apart:
        enqueue(send_templated_email, template, [email], context, points[email], [])


@shared_task(
    name="accounts.tasks.send_templated_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_templated_email(
    template: str, to: list[str], context: dict[str, Any], language: str, cc: list[str]
) -> None:
    send_now(template, to, context, language, cc)
