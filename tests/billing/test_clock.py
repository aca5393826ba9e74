"""Billing's clock (billing.clock) and the chronological numbering it must keep (ACCT-1): a replayed
history (the demo's year of use) issues documents dated in the past, never out of date order, never
in the future."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from billing import clock
from billing.models import DocumentStatus, TokenMovement
from billing.services.documents import (
    DocumentError,
    LineInput,
    issue_credit_note,
    issue_invoice,
    issue_quote,
    mark_paid,
)
from billing.services.ledger import credit_tokens
from billing.services.quotes import accept_quote

LINES = [LineInput("SSL OV – 1 year", 1, Decimal("120.00"))]


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.mark.django_db
def test_documents_issued_in_a_replayed_moment_carry_its_date(account, owner, product):
    moment = days_ago(200)
    with clock.replaying(moment):
        invoice = issue_invoice(account, LINES, by=owner)
        movement = credit_tokens(account, product, 5, reference="TOPUP-1", user=owner, document=invoice)
    with clock.replaying(moment + datetime.timedelta(days=9)):
        paid = mark_paid(invoice, owner, payment_reference="VIR-1")
    assert invoice.issue_date == timezone.localdate(moment)
    assert invoice.due_date >= invoice.issue_date
    assert paid.status == DocumentStatus.PAID and paid.paid_at == moment + datetime.timedelta(days=9)
    assert TokenMovement.objects.get(pk=movement.pk).created_at == moment
    # Out of the block, billing is back to today.
    assert issue_invoice(account, LINES).issue_date == timezone.localdate()


@pytest.mark.django_db
def test_a_quote_accepted_in_the_past_is_signed_then(account, owner):
    with clock.replaying(days_ago(100)):
        quote = issue_quote(account, LINES, by=owner)
    with clock.replaying(days_ago(96)):
        signed = accept_quote(quote, owner)
    assert signed.status == DocumentStatus.SIGNED
    assert timezone.localdate(signed.signed_at) == timezone.localdate(days_ago(96))


@pytest.mark.django_db
def test_it_refuses_a_document_dated_before_the_last_of_its_series(account, owner):
    with clock.replaying(days_ago(30)):
        invoice = issue_invoice(account, LINES, by=owner)
    with (
        translation.override("en"),
        clock.replaying(days_ago(60)),
        pytest.raises(DocumentError, match="cannot be dated before"),
    ):
        issue_invoice(account, LINES, by=owner)
    # Another series keeps its own order; the same day is fine.
    with clock.replaying(days_ago(60)):
        issue_quote(account, LINES, by=owner)
    with clock.replaying(days_ago(30)):
        credit_note = issue_credit_note(invoice, reason="Wrong period")
    assert credit_note.issue_date == invoice.issue_date


@pytest.mark.django_db
def test_it_refuses_a_document_dated_before_another_accounts(account, other_account, owner):
    """The sequence is the seller's: the rule holds across accounts."""
    issue_invoice(other_account, LINES)
    with clock.replaying(days_ago(10)), pytest.raises(DocumentError):
        issue_invoice(account, LINES, by=owner)


def test_it_refuses_the_future_and_naive_moments():
    with (
        pytest.raises(ValueError, match="future"),
        clock.replaying(timezone.now() + datetime.timedelta(days=1)),
    ):
        pass
    with pytest.raises(ValueError, match="aware"), clock.replaying(datetime.datetime(2026, 1, 1)):  # noqa: DTZ001
        pass
    assert clock.today() == timezone.localdate()
