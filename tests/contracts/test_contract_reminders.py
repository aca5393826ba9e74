"""JOBS-8 (contract part): reminders before a contract ends, once per stage, in each recipient's
language, none for a renewed contract; the beat job runs twice without a second email."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Right
from contracts.models import ContractReminder
from contracts.services.reminders import due, send_reminders
from contracts.tasks import send_contract_end_reminders
from tests import factories
from tests.support.contracts import make_contract

pytestmark = pytest.mark.django_db


def test_the_job_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["contracts-end-reminders"]
    assert entry["task"] == "contracts.tasks.send_contract_end_reminders"


def test_reminds_once_per_stage_in_each_recipients_language(
    account, owner, django_capture_on_commit_callbacks
):
    admin = factories.make_user(account, "admin", rights=[Right.ADMINISTRATIVE])
    admin.language = "fr"
    admin.save()
    factories.make_user(account, "tech", rights=[Right.TECHNICAL])  # not a recipient
    contract = make_contract(account, ends=20, reference="AO-77")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_contract_end_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_contract_end_reminders() == 0  # the same day again: nothing
    assert list(contract.reminders.values_list("days_before", flat=True)) == [30]
    by_to = {tuple(m.to): m for m in mail.outbox}
    assert set(by_to) == {(owner.email,), (admin.email,)}
    assert "AO-77" in by_to[(owner.email,)].subject and "ends on" in by_to[(owner.email,)].subject
    assert "se termine" in by_to[(admin.email,)].subject or "prend fin" in by_to[(admin.email,)].subject
    assert "20" in by_to[(owner.email,)].body and "/contract/" in by_to[(owner.email,)].body


def test_a_closer_stage_reminds_again_and_a_late_run_catches_up(account, owner):
    contract = make_contract(account, ends=45)
    today = timezone.localdate()
    assert send_reminders(today) == 1  # the 60-day stage
    assert send_reminders(today + datetime.timedelta(days=10)) == 0  # 35 days left: nothing new
    assert send_reminders(today + datetime.timedelta(days=40)) == 1  # 5 days left: the 7-day stage
    assert sorted(contract.reminders.values_list("days_before", flat=True)) == [7, 60]


def test_no_reminder_for_a_renewed_or_ended_contract(account, other_account, owner):
    make_contract(account, ends=10)
    make_contract(account, starts=11, ends=400, reference="RENEWED")
    make_contract(other_account, starts=-400, ends=-1, reference="ENDED")
    today = timezone.localdate()
    assert all(not due(today, stage).exists() for stage in (7, 30, 60))
    assert send_reminders(today) == 0 and ContractReminder.objects.count() == 0
