"""Issue 13 (hardening): plain-text email subjects, reset links on SITE_URL, no `testserver` in the
production hosts, bounded error output for names and CSRs, duplicate SIREN/VAT registrations."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.mail import render_email
from tests.portal.test_settings import show

# Point 4 -------------------------------------------------------------------------------------------


def test_email_subject_is_plain_text_not_html_escaped():
    name = 'Acme "Best" <Hosting> & Co'
    subject, text, html = render_email("account_request", {"account_name": name}, "en")
    assert name in subject
    assert "&quot;" not in subject and "&amp;" not in subject and "&lt;" not in subject
    assert "&quot;" in html or name not in html  # the HTML part stays escaped


@pytest.mark.django_db
def test_password_reset_link_uses_site_url_not_the_request_host(
    client, owner, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"), {"email": owner.email}, HTTP_HOST="evil.example"
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    body = message.body + message.alternatives[0][0]
    assert "evil.example" not in body
    assert re.search(r"https://portal\.example/accounts/password/reset/key/\S+/", message.body)


def test_testserver_is_not_an_allowed_host_by_default(tmp_path):
    env = {"SECRET_KEY": "k" * 50, "CA_KEY_PASSPHRASE": "x", "SITE_URL": "https://certs.example"}
    hosts = show(tmp_path, env, "s.ALLOWED_HOSTS")
    assert "testserver" not in hosts
    assert "certs.example" in hosts


# Point 5 -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fifty_thousand_identical_san_lines_give_one_short_error(product):
    from django import forms

    from orders.forms.names import clean_sans

    with pytest.raises(forms.ValidationError) as caught:
        clean_sans("www.acme.test\n" * 50_000, product)
    messages = caught.value.messages
    assert len(messages) == 1 and len("".join(messages)) < 200

    with pytest.raises(forms.ValidationError) as caught:
        clean_sans("a.acme.test\n" * 500 + "b.acme.test\n" * 300, product)
    assert caught.value.messages == ["“a.acme.test” is listed twice.", "“b.acme.test” is listed twice."]


@pytest.mark.django_db
def test_many_bad_names_are_listed_up_to_a_bound(product):
    from django import forms

    from orders.forms.names import MAX_NAME_ERRORS, clean_sans

    with pytest.raises(forms.ValidationError) as caught:
        clean_sans("\n".join(f"bad_{i}..test" for i in range(300)), product)
    messages = caught.value.messages
    assert len(messages) == MAX_NAME_ERRORS + 1
    assert messages[-1] == f"… and {300 - MAX_NAME_ERRORS} more problems."


@pytest.mark.parametrize(
    "garbage",
    ["\x00\x01\x02\xff binary", "MZ\x90\x00\x03\x00\x00\x00\x04", "-----BEGIN CERTIFICATE REQUEST-----\x00"],
)
def test_binary_garbage_as_a_csr_gets_the_csr_message(garbage):
    from django import forms

    from orders.csr import CsrError, CsrField, parse_csr

    with pytest.raises(forms.ValidationError) as caught:
        CsrField(required=False).clean(garbage)
    assert caught.value.messages == ["This text is not a certificate signing request (CSR)."]
    with pytest.raises(CsrError) as refused:
        parse_csr(garbage)
    assert refused.value.code == "garbage"
