"""Issue 17: the portal's session engine (accounts.sessions) reads a session as Django's database
engine does, on PostgreSQL and on the demo's SQLite: a live session's data, nothing for an expired
or unknown key (and a new key is then made on save)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_it_is_the_engine():
    assert settings.SESSION_ENGINE == "accounts.sessions"


def test_a_live_session_is_read_back():
    store = SessionStore()
    store["cart"] = {"product": "ssl-ov", "quantity": 2}
    store.save()
    again = SessionStore(session_key=store.session_key)
    assert again["cart"] == {"product": "ssl-ov", "quantity": 2}
    assert again.session_key == store.session_key


def test_an_expired_or_unknown_session_reads_empty_and_gets_a_new_key():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(session_key=store.session_key)
    assert expired.get("x") is None
    expired["y"] = 2
    expired.save()
    assert expired.session_key != store.session_key
    unknown = SessionStore(session_key="nosuchsessionkeyatall0123456789")
    assert dict(unknown.items()) == {}
