"""ORD-2: a holder organisation created with an order (the order form's "new organisation", which
the API's POST /organisations uses too) is checked as at registration (ACC-1): SIREN or SIRET,
intra-EU VAT number (valid, and holding the SIREN for a French one), NAF code for French companies."""

from __future__ import annotations

import pytest

from orders.forms import NewOrganisationForm

pytestmark = pytest.mark.django_db

SIREN = "732829320"


def data(**overrides) -> dict:
    values = {
        "registration_number": "732 829 320",
        "name": "Acme Subsidiary",
        "country": "FR",
        "vat_number": "FR 44 732 829 320",
        "naf_code": "62.01z",
        "address": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "phone": "+33 1 23 45 67 89",
    }
    values.update(overrides)
    return values


def test_valid_numbers_are_stored_compact(account):
    form = NewOrganisationForm(data(), account=account)
    assert form.is_valid(), form.errors
    cleaned = form.cleaned_data
    assert (cleaned["registration_number"], cleaned["vat_number"], cleaned["naf_code"]) == (
        SIREN,
        "FR44732829320",
        "6201Z",
    )
    foreign = NewOrganisationForm(
        data(country="DE", registration_number="HRB 12345", vat_number="DE 136 695 976", naf_code=""),
        account=account,
    )
    assert foreign.is_valid(), foreign.errors


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vat_number": "FR12345"}, "vat_number"),  # not a VAT number
        ({"vat_number": "ZZ12345"}, "vat_number"),  # unknown country prefix (stdnum raised: a 500)
        ({"vat_number": "FR40303265045"}, "vat_number"),  # another company's SIREN
        ({"naf_code": "62A"}, "naf_code"),
        ({"country": "BE", "registration_number": "0403170701", "vat_number": ""}, "naf_code"),  # FR only
        ({"registration_number": "732829321"}, "registration_number"),  # check digit
    ],
)
def test_bad_numbers_are_refused_on_their_field(account, change, field):
    form = NewOrganisationForm(data(**change), account=account)
    assert not form.is_valid()
    assert field in form.errors, form.errors
