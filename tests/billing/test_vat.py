"""VAT of a French seller's sale and document totals (billing/services/vat.py, PLAT-4)."""

from decimal import Decimal

import pytest

from billing.services.vat import (
    EXPORT_MENTION,
    REVERSE_CHARGE_MENTION,
    VatRegime,
    compute_totals,
    has_valid_eu_vat_number,
    line_total,
    round_cents,
    vat_treatment,
)

D = Decimal


@pytest.mark.parametrize("country, vat_number", [("FR", "FR40303265045"), ("FR", ""), ("MC", ""), ("fr", "")])
def test_a_buyer_in_france_pays_french_vat(country, vat_number):
    treatment = vat_treatment(country, vat_number)
    assert treatment.regime == VatRegime.DOMESTIC
    assert treatment.rate == D("20.00")
    assert treatment.mention == ""


@pytest.mark.parametrize(
    "country, vat_number",
    [
        ("DE", "DE136695976"),
        ("BE", "BE0403170701"),
        ("GR", "EL094259216"),
        ("DE", "de 136 695 976"),
    ],
)
def test_an_eu_business_with_a_valid_vat_number_self_assesses(country, vat_number):
    treatment = vat_treatment(country, vat_number)
    assert treatment.regime == VatRegime.REVERSE_CHARGE
    assert treatment.rate == D("0")
    assert str(treatment.mention) == "Reverse charge – article 196 of Council Directive 2006/112/EC"


@pytest.mark.parametrize(
    "country, vat_number",
    [
        ("DE", ""),  # no number
        ("DE", "DE136695977"),  # bad checksum
        ("DE", "BE0403170701"),  # another country's number
        ("IT", "not a number"),
    ],
)
def test_an_eu_buyer_without_a_valid_vat_number_pays_french_vat(country, vat_number):
    treatment = vat_treatment(country, vat_number)
    assert treatment.regime == VatRegime.DOMESTIC
    assert treatment.rate == D("20.00")
    assert treatment.mention == ""


@pytest.mark.parametrize("country, vat_number", [("US", ""), ("CH", "CHE123456788"), ("GB", "GB980780684")])
def test_a_buyer_outside_the_eu_is_not_taxed_in_france(country, vat_number):
    treatment = vat_treatment(country, vat_number)
    assert treatment.regime == VatRegime.EXPORT
    assert treatment.rate == D("0")
    assert str(treatment.mention) == "VAT not applicable – article 259-1 of the French General Tax Code"
    assert treatment.mention is EXPORT_MENTION and treatment.mention is not REVERSE_CHARGE_MENTION


def test_vat_number_must_match_the_buyer_country():
    assert has_valid_eu_vat_number("GR", "EL094259216")
    assert not has_valid_eu_vat_number("GR", "GR094259216")
    assert not has_valid_eu_vat_number("US", "DE136695976")


def test_rounding_is_half_up_to_the_cent_and_symmetric():
    assert round_cents(D("0.165")) == D("0.17")  # half-even would give 0.16
    assert round_cents(D("-0.165")) == D("-0.17")
    assert round_cents(D("0.164")) == D("0.16")
    assert line_total(D("1.5"), D("10.01")) == D("15.02")  # 15.015


def test_vat_is_computed_per_rate_on_the_sum_of_its_lines():
    # Three lines of 10.03 at 20 %: 2.006 each, 6.03 if rounded per line; 6.018 → 6.02 on the sum.
    totals = compute_totals([(D("20"), D("10.03"))] * 3)
    assert totals.excl_vat == D("30.09")
    assert totals.vat == D("6.02")
    assert totals.incl_vat == D("36.11")
    assert [(row.rate, row.base, row.vat) for row in totals.per_rate] == [(D("20.00"), D("30.09"), D("6.02"))]


def test_several_rates_get_one_summary_row_each():
    totals = compute_totals([(D("20"), D("100.00")), (D("5.5"), D("3.00")), (D("20.00"), D("50.00"))])
    assert [(row.rate, row.base, row.vat) for row in totals.per_rate] == [
        (D("20.00"), D("150.00"), D("30.00")),
        (D("5.50"), D("3.00"), D("0.17")),
    ]
    assert (totals.excl_vat, totals.vat, totals.incl_vat) == (D("153.00"), D("30.17"), D("183.17"))


def test_negated_lines_give_exactly_negated_totals():
    lines = [(D("5.5"), D("3.00")), (D("20"), D("10.03"))]
    plus = compute_totals(lines)
    minus = compute_totals([(rate, -total) for rate, total in lines])
    assert (minus.excl_vat, minus.vat, minus.incl_vat) == (-plus.excl_vat, -plus.vat, -plus.incl_vat)


def test_no_line_gives_zero_totals():
    totals = compute_totals([])
    assert (totals.excl_vat, totals.vat, totals.incl_vat, totals.per_rate) == (D("0"), D("0"), D("0"), ())
