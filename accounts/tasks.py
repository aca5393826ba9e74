from celery import shared_task

from .mail import send_now


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_templated_email(template: str, to: list[str], context: dict, language: str, cc: list[str]) -> None:
    send_now(template, to, context, language, cc)
