"""Celery tasks of the accounts app (autodiscovered): the email task is defined in `accounts.mail`."""

from .mail import send_templated_email

__all__ = ["send_templated_email"]
