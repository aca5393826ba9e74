"""Signal receivers of the accounts app, connected in AccountsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .models import User


def record_login(sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """ACC-8: keep the former `last_login` as `previous_login` for the connection bar, then stamp now.

    Replaces django.contrib.auth's `update_last_login` receiver (disconnected in ready()): both must
    happen in this order, and receivers of one signal run in connection order, which would let
    Django overwrite `last_login` before we read it.
    """
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])
