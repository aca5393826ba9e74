"""French is complete (issue 8 point 15): the committed catalogue has no untranslated or fuzzy entry,
French typography puts a space before ":", no template leaves a colon outside its translated text,
the catalogue's seed texts (descriptions, delivery times) read in French, and words with two meanings
are told apart with a context (pgettext)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from catalog.seed import load_catalog
from orders.models import OrderStatus
from tests.support.delivered import deliver
from tests.support.orders import make_order

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale/fr/LC_MESSAGES/django.po"
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# A colon right after a translated text: {% translate "Total" %}: → the colon escapes the translation.
COLON_OUTSIDE = re.compile(
    r"""(\{%\s*endblocktranslate\s*%\}|\{%\s*translate\s+(["'])[^"']*\2[^%]*%\})\s?:"""
)
# In French, a colon follows a space (normal, non-breaking or narrow non-breaking).
FRENCH_COLON = re.compile(r"[^\s\u00a0\u202f]:(?=\s|$)")


def test_the_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries() if not e.obsolete]
    assert untranslated == [] and fuzzy == [], f"untranslated: {untranslated[:20]}; fuzzy: {fuzzy[:20]}"


def test_french_texts_put_a_space_before_a_colon():
    catalogue = polib.pofile(str(CATALOGUE))
    wrong = [
        text
        for entry in catalogue
        if not entry.obsolete
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if FRENCH_COLON.search(text)
    ]
    assert wrong == [], wrong[:20]


def test_no_template_leaves_a_colon_outside_its_translated_text():
    wrong = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*")
        if path.suffix in {".html", ".txt"}
        for match in COLON_OUTSIDE.finditer(path.read_text())
    ]
    assert wrong == [], wrong[:20]


@pytest.fixture
def french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.mark.django_db
def test_the_catalogue_reads_in_french(french, tech):
    load_catalog()
    french.force_login(tech)
    page = french.get(reverse("operations:new")).content.decode()
    row = re.search(r'data-product="sectigo-dv">(.*?)</tr>', page, re.S).group(1)
    assert "Certificat à validation de domaine émis en quelques minutes." in row
    assert 'class="delivery">quelques minutes<' in row
    assert "Domain-validated" not in page and "days<" not in page


@pytest.mark.django_db
def test_dates_of_an_order_and_of_a_certificate_have_their_own_words(french, tech, account, product):
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    deliver(order)
    french.force_login(tech)
    page = french.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "<dt>Commandée le</dt>" in page and "<dt>Payée le</dt>" in page and "<dt>Livrée le</dt>" in page
    assert "<dt>Livré le</dt>" in page  # the certificate
    listing = french.get(reverse("orders:list")).content.decode()
    assert "Livrées" in listing and "Clôturées" in listing


@pytest.mark.django_db
def test_the_review_page_reads_in_french(french, tech, account, product):
    from tests.orders.test_names_and_hints import _review

    french.force_login(tech)
    page = _review(french, account, product)
    assert "30 jours" in page and "30 days" not in page
    assert "Le paiement différé" in page or "paiement différé" in page
    assert "Deferred payment adds" not in page and "12 mois" in page and "12 months" not in page
