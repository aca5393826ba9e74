"""ACC-2 / STAFF-1: staff validate or reject account requests in the back office (/staff/)."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse

from accounts import mail
from accounts.forms import RegistrationForm
from accounts.models import Account, AuditEvent, Organisation, Right, User
from accounts.services import AccountStateError, register_account, reject_account, validate_account
from tests import factories
from tests.accounts.test_registration import form_data

NEW_PASSWORD = "Sapphire-Lantern-2031"


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """allauth counts failed logins in the cache: keep this module's counts away from a shared Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def pending(db):
    form = RegistrationForm(form_data(language="en"))
    assert form.is_valid(), form.errors
    return register_account(form.cleaned_data)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def _run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return _run


def change_url(account):
    return reverse("admin:accounts_account_change", args=[account.pk])


def validate_url(account):
    return reverse("admin:accounts_account_validate", args=[account.pk])


def reject_url(account):
    return reverse("admin:accounts_account_reject", args=[account.pk])


# --- who reaches the back office -------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_staff_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_account_users_cannot_open_the_back_office(client, owner):
    client.force_login(owner)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert client.get("/staff/accounts/account/").status_code == 302


@pytest.mark.django_db
def test_staff_without_change_right_cannot_validate(client, pending, mailoutbox):
    clerk = User.objects.create(username="clerk", email="clerk@portal.test", is_staff=True)
    client.force_login(clerk)
    assert client.post(validate_url(pending)).status_code == 403
    pending.refresh_from_db()
    assert pending.status == Account.Status.PENDING


# --- admin pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_list_and_change_page(client, staff, pending, account):
    client.force_login(staff)
    listing = client.get("/staff/accounts/account/?status__exact=pending").content.decode()
    assert pending.name in listing
    assert account.name not in listing
    page = client.get(change_url(pending)).content.decode()
    assert validate_url(pending) in page and reject_url(pending) in page
    assert "303265045" in page  # holder organisation inline
    assert "claire.martin" in page  # users inline
    active = client.get(change_url(account)).content.decode()
    assert validate_url(account) not in active


@pytest.mark.django_db
def test_account_search_by_organisation_number(client, staff, pending, account):
    client.force_login(staff)
    page = client.get("/staff/accounts/account/?q=303265045").content.decode()
    assert pending.name in page and account.name not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("user", ["claire.martin", "claire@bleu.test"]),
        ("organisation", ["Bleu Hébergement", "303265045", "Lyon"]),
        ("contact", ["Petit", "hugo@bleu.test"]),
        ("auditevent", ["account.registered"]),
    ],
)
def test_other_changelists_show_the_registered_account(client, staff, pending, model, shown):
    client.force_login(staff)
    response = client.get(f"/staff/accounts/{model}/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in shown:
        assert text in page, text
    assert len(response.context["cl"].result_list) >= 1


@pytest.mark.django_db
def test_user_change_page_shows_account_and_rights(client, staff, owner):
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_user_change", args=[owner.pk])).content.decode()
    for name in ("account", "is_account_superuser", "right_technical", "right_approval", "language"):
        assert f'name="{name}"' in page


@pytest.mark.django_db
def test_audit_trail_is_read_only(client, staff, pending):
    client.force_login(staff)
    event = AuditEvent.objects.get(account=pending)
    assert client.get("/staff/accounts/auditevent/add/").status_code == 403
    view = client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    assert view.status_code == 200
    assert 'name="action"' not in view.content.decode()
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    filtered = client.get("/staff/accounts/auditevent/?action=account.registered").content.decode()
    assert "account.registered" in filtered


# --- validation --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_validate_asks_for_confirmation_first(client, staff, pending, mailoutbox):
    client.force_login(staff)
    response = client.get(validate_url(pending))
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Account.Status.PENDING
    assert mailoutbox == []


@pytest.mark.django_db
def test_validation_end_to_end(client, staff, pending, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(validate_url(pending))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Account.Status.ACTIVE
    assert pending.validated_at is not None
    event = AuditEvent.objects.get(account=pending, action="account.validated")
    assert event.is_staff_action and event.user == staff

    superuser = pending.users.get()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [superuser.email]
    assert message.alternatives[0][1] == "text/html"
    assert superuser.username in message.body
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    assert path in message.alternatives[0][0]

    client.logout()
    page = client.get(path, follow=True)
    assert page.redirect_chain and page.redirect_chain[-1][0].endswith("-set-password/")
    assert 'name="password1"' in page.content.decode()
    done = client.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    superuser.refresh_from_db()
    assert superuser.has_usable_password()

    login = client.post("/accounts/login/", {"login": superuser.username, "password": NEW_PASSWORD})
    assert login["Location"] == reverse("home")
    bar = client.get(reverse("home")).content.decode()
    connection = bar[bar.index('data-testid="connection-bar"') :]
    assert pending.name in connection[:300]


@pytest.mark.django_db
def test_validation_is_idempotent(pending, staff, on_commit, mailoutbox):
    on_commit(validate_account, pending, by=staff)
    first = Account.objects.get(pk=pending.pk).validated_at
    on_commit(validate_account, pending, by=staff)
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(account=pending, action="account.validated").count() == 1
    assert Account.objects.get(pk=pending.pk).validated_at == first


@pytest.mark.django_db
def test_validating_again_from_the_admin_only_warns(client, staff, pending, on_commit, mailoutbox):
    on_commit(validate_account, pending, by=staff)
    client.force_login(staff)
    response = client.post(validate_url(pending), follow=True)
    assert "not awaiting validation" in response.content.decode()
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_bulk_validate_action(client, staff, pending, account, on_commit, mailoutbox):
    client.force_login(staff)
    response = on_commit(
        client.post,
        "/staff/accounts/account/",
        {
            "action": "validate_selected",
            "_selected_action": [pending.pk, account.pk],
        },
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=pending.pk).status == Account.Status.ACTIVE
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_rejected_request_cannot_be_validated(pending, staff):
    reject_account(pending, "Unknown company", by=staff)
    with pytest.raises(AccountStateError):
        validate_account(pending, by=staff)
    assert Account.objects.get(pk=pending.pk).status == Account.Status.REJECTED


@pytest.mark.django_db
def test_validation_email_is_rendered_in_the_super_users_language(pending, staff, on_commit):
    pending.users.update(language="fr")
    with mock.patch("accounts.mail.render_email", wraps=mail.render_email) as render:
        on_commit(validate_account, pending, by=staff)
    assert [(c.args[0], c.args[2]) for c in render.call_args_list] == [("account_validated", "fr")]


# --- rejection ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reject_needs_a_reason(client, staff, pending, mailoutbox):
    client.force_login(staff)
    assert client.get(reject_url(pending)).status_code == 200
    response = client.post(reject_url(pending), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert Account.objects.get(pk=pending.pk).status == Account.Status.PENDING
    assert mailoutbox == []


@pytest.mark.django_db
def test_rejection_emails_the_reason_and_blocks_login(
    client, staff, pending, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reject_url(pending), {"reason": "We could not verify the SIREN."})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Account.Status.REJECTED
    assert pending.rejection_reason == "We could not verify the SIREN."
    event = AuditEvent.objects.get(account=pending, action="account.rejected")
    assert event.details["reason"] == "We could not verify the SIREN." and event.is_staff_action

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["claire@bleu.test"]
    assert "We could not verify the SIREN." in message.body
    assert "We could not verify the SIREN." in message.alternatives[0][0]

    # Even with a password (e.g. set through "forgotten password"), the user cannot log in.
    superuser = pending.users.get()
    superuser.set_password(NEW_PASSWORD)
    superuser.save()
    client.logout()
    login = client.post("/accounts/login/", {"login": superuser.username, "password": NEW_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert login["Location"] == reverse("account_login")


@pytest.mark.django_db
def test_rejection_is_idempotent(pending, staff, on_commit, mailoutbox):
    on_commit(reject_account, pending, "Duplicate request", by=staff)
    on_commit(reject_account, pending, "Duplicate request", by=staff)
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(account=pending, action="account.rejected").count() == 1


@pytest.mark.django_db
def test_pending_users_cannot_log_in_even_with_a_password(client, pending):
    superuser = pending.users.get()
    superuser.set_password(NEW_PASSWORD)
    superuser.save()
    response = client.post("/accounts/login/", {"login": "claire@bleu.test", "password": NEW_PASSWORD})
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_an_active_account_user_is_not_refused(client, owner):
    """The refusal above is about the account's status, not about every login."""
    assert owner.has_right(Right.TECHNICAL)
    response = client.post(
        "/accounts/login/", {"login": owner.username, "password": "correct-horse-battery-2026"}
    )
    assert response["Location"] == reverse("home")


# Issue 13.6: staff see the same SIREN/VAT at validation --------------------------------------------


@pytest.mark.django_db
def test_same_siren_is_flagged_on_the_change_page_and_the_pending_list(client, staff, pending, account):
    client.force_login(staff)
    Organisation.objects.filter(account=account).update(vat_number="")  # the factory's VAT is shared
    page = client.get(change_url(pending)).content.decode()
    assert "Same SIREN/VAT as" in page and change_url(account) not in page
    Organisation.objects.filter(account=account).update(registration_number="303265045")
    page = client.get(change_url(pending)).content.decode()
    assert change_url(account) in page and account.name in page
    listing = client.get("/staff/accounts/account/?status__exact=pending").content.decode()
    assert change_url(account) in listing
    # And the other way round: the existing account's page points at the new request.
    assert change_url(pending) in client.get(change_url(account)).content.decode()


@pytest.mark.django_db
def test_account_list_flags_in_a_constant_number_of_queries(
    client, staff, pending, account, django_assert_max_num_queries
):
    client.force_login(staff)
    Organisation.objects.filter(account=account).update(registration_number="303265045")
    client.get("/staff/accounts/account/")
    for index in range(3):
        factories.make_account(f"Other {index}", domain=f"other{index}.test")
    with django_assert_max_num_queries(30) as captured:
        client.get("/staff/accounts/account/")
    baseline = len(captured)
    for index in range(3, 8):
        factories.make_account(f"Other {index}", domain=f"other{index}.test")
    with django_assert_max_num_queries(baseline):
        client.get("/staff/accounts/account/")
