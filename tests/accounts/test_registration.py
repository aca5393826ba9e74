"""ACC-1: public registration form, the service behind it and the staff notification."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Account, AuditEvent, Contact, Organisation, User

URL = "/register/"


def form_data(**overrides) -> dict[str, str]:
    data = {
        "company_name": "Bleu Hébergement",
        "country": "FR",
        "registration_number": "303 265 045",
        "naf_code": "6201Z",
        "vat_number": "FR 40 303 265 045",
        "address": "12 rue des Lilas",
        "postal_code": "69003",
        "city": "Lyon",
        "phone": "+33 4 78 00 00 00",
        "admin_first_name": "Claire",
        "admin_last_name": "Martin",
        "admin_email": "claire@bleu.test",
        "admin_phone": "+33 6 11 22 33 44",
        "admin_job_title": "CEO",
        "tech_first_name": "Hugo",
        "tech_last_name": "Petit",
        "tech_email": "hugo@bleu.test",
        "tech_phone": "+33 6 55 66 77 88",
        "tech_job_title": "Sysadmin",
        "kind": Account.Kind.PROVIDER,
        "formula": Account.Formula.BULK,
        "auth_type": Account.AuthType.PASSWORD,
        "username": "claire.martin",
        "language": "fr",
        "accept_terms": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def _post(data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data)

    return _post


def test_url_names():
    assert reverse("registration:register") == "/register/"
    assert reverse("registration:done") == "/register/done/"


@pytest.mark.django_db
def test_form_page_is_public(client):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="registration_number"' in page
    assert 'name="tech_same_as_admin"' in page
    assert '<option value="en" selected>' in page


@pytest.mark.django_db
def test_preferred_language_defaults_to_the_page_language(client):
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert '<option value="fr" selected>' in client.get(URL).content.decode()


@pytest.mark.django_db
def test_registration_creates_a_pending_account(post, staff, mailoutbox):
    response = post(form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:done")

    account = Account.objects.get(name="Bleu Hébergement")
    assert account.status == Account.Status.PENDING
    assert (account.kind, account.formula, account.language) == ("provider", "bulk", "fr")
    assert account.terms_accepted_at is not None

    holder = Organisation.objects.get(account=account)
    assert holder.is_account_holder
    assert holder.registration_number == "303265045"
    assert holder.vat_number == "FR40303265045"
    assert holder.naf_code == "6201Z"
    assert (holder.city, holder.country, holder.phone) == ("Lyon", "FR", "+33 4 78 00 00 00")

    assert account.administrative_contact.email == "claire@bleu.test"
    assert account.technical_contact.email == "hugo@bleu.test"
    assert Contact.objects.filter(account=account, organisation=holder).count() == 2

    user = User.objects.get(account=account)
    assert user.username == "claire.martin"
    assert user.is_account_superuser and user.is_active
    assert not user.has_usable_password()
    assert (user.email, user.language, user.first_name) == ("claire@bleu.test", "fr", "Claire")

    event = AuditEvent.objects.get(account=account)
    assert event.action == "account.registered"
    assert event.details["registration_number"] == "303265045"

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [staff.email]
    assert "Bleu Hébergement" in message.subject
    assert f"/staff/accounts/account/{account.pk}/change/" in message.body
    assert message.alternatives[0][1] == "text/html"


@pytest.mark.django_db
def test_done_page_says_the_request_awaits_validation(client):
    response = client.get(reverse("registration:done"))
    assert response.status_code == 200
    assert "awaits validation" in response.content.decode()


@pytest.mark.django_db
def test_same_person_for_both_contacts(post):
    data = form_data(
        tech_same_as_admin="on",
        tech_first_name="",
        tech_last_name="",
        tech_email="",
        tech_phone="",
        tech_job_title="",
    )
    assert post(data).status_code == 302
    account = Account.objects.get()
    assert account.technical_contact_id == account.administrative_contact_id
    assert Contact.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_foreign_company_number_is_stored_without_spaces(post):
    data = form_data(country="DE", registration_number="hrb 123 45", naf_code="", vat_number="DE 136 695 976")
    assert post(data).status_code == 302
    holder = Organisation.objects.get()
    assert holder.registration_number == "HRB12345"
    assert holder.vat_number == "DE136695976"


@pytest.mark.django_db
def test_siret_is_accepted_and_matches_the_vat_siren(post):
    assert (
        post(form_data(registration_number="732 829 320 00074", vat_number="FR44732829320")).status_code
        == 302
    )
    assert Organisation.objects.get().registration_number == "73282932000074"


def errors_of(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"registration_number": "303 265 046"}, "registration_number", "not valid"),
        ({"registration_number": "12345"}, "registration_number", "9 digits"),
        (
            {"country": "BE", "registration_number": "0403170701", "vat_number": ""},
            "naf_code",
            "French company",
        ),
        ({"vat_number": "FR12345"}, "vat_number", "not a valid"),
        ({"vat_number": "ZZ12345"}, "vat_number", "not a valid"),  # unknown prefix: was a 500
        ({"vat_number": "FR44732829320"}, "vat_number", "does not belong"),
        ({"naf_code": "62A"}, "naf_code", "four digits"),
        ({"admin_email": "not-an-email"}, "admin_email", "valid email"),
        ({"phone": "call me"}, "phone", "phone number"),
        ({"username": "ab@c"}, "username", "@"),
        ({"accept_terms": None}, "accept_terms", "accept the terms"),
    ],
)
def test_each_refusal_is_next_to_its_field(client, overrides, field, text):
    response = client.post(URL, form_data(**overrides))
    errors = errors_of(response)
    assert field in errors, errors
    assert text in " ".join(errors[field])
    assert not Account.objects.exists()
    # The error is shown next to its field on the page.
    page = response.content.decode()
    block = page[page.index(f'id="field-{field}"') :]
    assert 'class="errorlist' in block[: block.index("</div>\n")]


@pytest.mark.django_db
def test_duplicate_username_is_refused_case_insensitively(client, owner):
    response = client.post(URL, form_data(username=owner.username.upper()))
    assert "already taken" in " ".join(errors_of(response)["username"])
    assert not Account.objects.filter(name="Bleu Hébergement").exists()


@pytest.mark.django_db
def test_technical_contact_required_unless_same_as_admin(client):
    data = form_data(tech_first_name="", tech_last_name="", tech_email="", tech_phone="")
    errors = errors_of(client.post(URL, data))
    assert set(Account.objects.values_list("pk", flat=True)) == set()
    for name in ("tech_first_name", "tech_last_name", "tech_email", "tech_phone"):
        assert name in errors
    assert "tech_job_title" not in errors


@pytest.mark.django_db
def test_typed_values_are_kept_on_error(client):
    response = client.post(URL, form_data(registration_number="303 265 046", tech_same_as_admin="on"))
    page = response.content.decode()
    for value in (
        "Bleu Hébergement",
        "303 265 046",
        "12 rue des Lilas",
        "claire@bleu.test",
        "hugo@bleu.test",
        "claire.martin",
        "6201Z",
    ):
        assert f'value="{value}"' in page, value
    assert 'name="tech_same_as_admin" id="id_tech_same_as_admin" checked' in page
    assert '<option value="bulk" selected>' in page
    assert '<option value="fr" selected>' in page


@pytest.mark.django_db
def test_honeypot_creates_nothing(post, staff, mailoutbox):
    response = post(form_data(website="http://spam.test"))
    assert response.status_code == 302
    assert not Account.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_staff_email_in_each_staff_members_language(post, staff, mailoutbox, monkeypatch):
    french = User.objects.create(username="marie", email="marie@portal.test", is_staff=True, language="fr")
    calls = []
    from accounts import mail

    original = mail.render_email

    def spy(template, context, language):
        calls.append((template, language))
        return original(template, context, language)

    monkeypatch.setattr(mail, "render_email", spy)
    post(form_data())
    assert sorted(calls) == [("account_request", "en"), ("account_request", "fr")]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([staff.email, french.email])


@pytest.mark.django_db
def test_inactive_staff_is_not_emailed(post, staff, mailoutbox):
    staff.is_active = False
    staff.save()
    post(form_data())
    assert mailoutbox == []
    assert Account.objects.count() == 1


# Issue 13.6: a SIREN or VAT number another account already has -------------------------------------

ALREADY = "may already have an account"


@pytest.mark.django_db
def test_same_siren_is_registered_and_the_applicant_told_without_naming_the_account(client, post):
    assert post(form_data()).status_code == 302
    response = post(form_data(company_name="Bleu Cloud", username="hugo.petit"))
    assert response.status_code == 302
    assert Account.objects.filter(status=Account.Status.PENDING).count() == 2  # never refused
    page = client.get(response["Location"]).content.decode()
    assert ALREADY in page
    assert "Bleu Hébergement" not in page and "claire.martin" not in page


@pytest.mark.django_db
def test_same_vat_number_alone_is_flagged_too(client, post):
    post(form_data())
    Organisation.objects.filter(registration_number="303265045").update(registration_number="999999999")
    response = post(form_data(company_name="Bleu Cloud", username="hugo.petit"))
    assert ALREADY in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_new_company_is_not_told_anything(client, post):
    response = post(form_data())
    assert ALREADY not in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_rejected_request_does_not_count(client, post):
    post(form_data())
    Account.objects.update(status=Account.Status.REJECTED)
    response = post(form_data(company_name="Bleu Cloud", username="hugo.petit"))
    assert ALREADY not in client.get(response["Location"]).content.decode()
