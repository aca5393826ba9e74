"""ADM-6 / PLAT-3: the robots' emails about an account go to its contact points too, each in its own
language (JOBS-1 reissue list, JOBS-5 expiry reminders), and never to another account's."""

from __future__ import annotations

import pytest

from accounts.models import Account
from orders.tasks_robots import expiry_reminders, rebuild_reissue_list
from tests.factories import make_product
from tests.support.robots import dated_order


@pytest.fixture
def reissuable(db):
    return make_product("points-ov", reissuable=True)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def go(task, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return task(*args)

    return go


def points(account, **fields):
    Account.objects.filter(pk=account.pk).update(**fields)
    account.refresh_from_db()


def test_expiry_reminder_reaches_the_copy_address_in_its_own_language(run, account, reissuable, mailoutbox):
    points(account, language="en", copy_email="copie@acme.test", copy_email_language="fr")
    order = dated_order(
        account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="soon.acme.test"
    )

    run(expiry_reminders)

    contacts = [m for m in mailoutbox if "copie@acme.test" not in m.to]
    copies = [m for m in mailoutbox if m.to == ["copie@acme.test"]]
    assert len(contacts) == 1 and len(copies) == 1
    assert order.technical_contact.email in contacts[0].to and contacts[0].cc == []
    assert "expires in 25 days" in contacts[0].subject
    assert "expire dans 25" in copies[0].subject and "soon.acme.test" in copies[0].subject
    assert copies[0].cc == []


def test_copy_address_reading_the_same_language_is_copied_once(run, account, reissuable, mailoutbox):
    points(account, language="fr", copy_email="copy@acme.test", copy_email_language="fr")
    dated_order(account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="soon.acme.test")

    run(expiry_reminders)
    run(expiry_reminders)  # a second run sends nothing more

    assert len(mailoutbox) == 1
    assert mailoutbox[0].cc == ["copy@acme.test"] and "expire dans 25" in mailoutbox[0].subject


def test_without_a_copy_address_only_the_orders_contacts_are_written_to(run, account, reissuable, mailoutbox):
    points(account, copy_email="")
    order = dated_order(account, reissuable, issued_days_ago=340, lifetime_days=365)

    run(expiry_reminders)

    assert [sorted(m.to) for m in mailoutbox] == [
        sorted({order.technical_contact.email, order.admin_contact.email})
    ]
    assert mailoutbox[0].cc == []


def test_reissue_list_email_reaches_each_accounts_own_copy_address(
    run, account, other_account, reissuable, mailoutbox
):
    points(account, copy_email="ours@acme.test", copy_email_language="fr", language="en")
    points(other_account, copy_email="theirs@other.test", copy_email_language="en", language="en")
    dated_order(account, reissuable, issued_days_ago=150, lifetime_days=200, common_name="due.acme.test")

    run(rebuild_reissue_list)

    recipients = [address for m in mailoutbox for address in [*m.to, *m.cc]]
    assert "theirs@other.test" not in recipients  # the other account has nothing due
    copy = [m for m in mailoutbox if m.to == ["ours@acme.test"]]
    assert len(copy) == 1 and "certificat à réémettre" in copy[0].subject
    assert len(mailoutbox) == 2


def test_every_contact_point_reads_its_own_language(account, mailoutbox, django_capture_on_commit_callbacks):
    from accounts.mail import send_mail_on_commit

    points(
        account,
        copy_email="copy@acme.test",
        copy_email_language="en",
        emergency_email="urgent@acme.test",
        emergency_email_language="fr",
    )
    context = {"reference": "CP2", "common_name": "x", "status_url": "/", "approver_name": "A", "status": "s"}
    with django_capture_on_commit_callbacks(execute=True):
        send_mail_on_commit(
            "order_approved", ["tech@acme.test"], context, "en", cc=["urgent@acme.test"], account=account
        )

    english, french = mailoutbox
    assert english.to == ["tech@acme.test"] and english.cc == ["copy@acme.test"]
    assert french.to == ["urgent@acme.test"] and french.cc == []
    assert english.subject != french.subject and "CP2" in french.subject
