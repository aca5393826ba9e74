"""The transactional outbox (issue 18): queued work exists iff its change commits, survives a
broker that is down, and runs once however many times it is delivered."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import OperationalError

from accounts.mail import send_mail_on_commit
from outbox.models import OutboxMessage
from outbox.queue import enqueue, relay
from outbox.tasks import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every publication fails as kombu does when Redis refuses the connection."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver, "apply_async", refuse)


def test_a_rolled_back_change_queues_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_mail_on_commit("account_unknown_email", ["a@acme.test"], {}, "en")
        raise RuntimeError("the change fails")
    assert not OutboxMessage.objects.exists()
    assert mailoutbox == []


def test_a_committed_change_runs_its_task_once(mailoutbox, django_capture_on_commit_callbacks, owner):
    with django_capture_on_commit_callbacks(execute=True):
        send_mail_on_commit("account_unknown_email", [owner.email], {}, "en")
    message = OutboxMessage.objects.get()
    assert message.done_at is not None and message.published_at is not None
    assert len(mailoutbox) == 1
    # Delivered again (relay plus broker redelivery): nothing more happens.
    assert deliver.apply(args=(message.pk,)).get() == "already done"
    relay(everything=True)
    assert len(mailoutbox) == 1


def test_the_password_reset_form_answers_with_the_broker_down(
    client, owner, broker_down, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": owner.email})
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.task == "accounts.tasks.send_templated_email"
    assert message.published_at is None and message.done_at is None
    assert mailoutbox == []

    # The broker is back: the relay publishes what waited, the email goes once.
    monkeypatch.undo()
    assert relay(everything=True) == 1
    message.refresh_from_db()
    assert message.done_at is not None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [owner.email]
    assert relay(everything=True) == 0


def test_the_relay_leaves_fresh_rows_to_their_own_publication(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("portal.tasks.heartbeat")
    # Just committed: its own after-commit step had the job; the beat relay waits a little.
    assert relay() == 0
    OutboxMessage.objects.update(created_at=OutboxMessage.objects.get().created_at.replace(year=2020))
    assert relay() == 0  # the broker is still down: still pending, no error
    assert OutboxMessage.objects.get().done_at is None


def test_a_failing_task_rolls_back_its_work_and_stays_pending(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("portal.tasks.no_such_task")
    message = OutboxMessage.objects.get()
    assert message.done_at is None
    assert message.attempts == 1
    assert "no_such_task" in message.last_error
    settings.OUTBOX_MAX_ATTEMPTS = 1
    assert relay(everything=True) == 0  # failed too often: left for an operator


def test_arguments_must_cross_the_broker():
    with pytest.raises(TypeError):
        enqueue("portal.tasks.heartbeat", object())
    with pytest.raises(TypeError):
        enqueue(object())
    assert not OutboxMessage.objects.exists()
