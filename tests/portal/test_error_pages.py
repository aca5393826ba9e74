"""Error pages (issue 8 point 11): 403, 404, CSRF failure and 500 in the portal's layout and the user's
language, saying what happened and where to go; the 500 page renders without the database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from tests.support.orders import make_order


@pytest.fixture
def french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.mark.django_db
def test_404_in_the_layout_with_the_menu_and_a_way_home(client, tech):
    client.force_login(tech)
    response = client.get("/orders/CPNOSUCHREF/")
    page = response.content.decode()
    assert response.status_code == 404 and 'data-testid="error-404"' in page
    assert 'class="menu"' in page and "does not belong to your account" in page
    assert f'href="{reverse("root")}"' in page


@pytest.mark.django_db
def test_404_in_french(french, tech):
    french.force_login(tech)
    page = french.get("/orders/CPNOSUCHREF/").content.decode()
    assert 'lang="fr"' in page and "Page introuvable" in page and "Page not found" not in page


@pytest.mark.django_db
def test_404_for_a_visitor_offers_the_login(client):
    page = client.get("/no-such-page/").content.decode()
    assert 'data-testid="error-404"' in page and reverse("account_login") in page


@pytest.mark.django_db
def test_403_says_which_right_is_missing_and_who_grants_it(french, billing, account, product):
    order = make_order(account, product)
    french.force_login(billing)
    response = french.get(reverse("orders:detail", args=[order.reference]))
    page = response.content.decode()
    assert response.status_code == 403 and 'data-testid="error-403"' in page
    assert "Accès refusé" in page and "Administration › Utilisateurs" in page and 'class="menu"' in page


@pytest.mark.django_db
def test_a_csrf_failure_explains_the_expired_form():
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(reverse("account_login"), {"login": "x", "password": "y"})
    page = response.content.decode()
    assert response.status_code == 403 and 'data-testid="error-csrf"' in page
    assert "Formulaire expiré" in page and "CSRF verification failed" not in page


def test_500_renders_without_the_database_in_the_users_language():
    # No django_db mark: any query would fail this test.
    with translation.override("fr"):
        response = server_error(RequestFactory().get("/orders/"))
    page = response.content.decode()
    assert response.status_code == 500 and 'data-testid="error-500"' in page
    assert 'lang="fr"' in page and "Erreur du serveur" in page and 'href="/"' in page
