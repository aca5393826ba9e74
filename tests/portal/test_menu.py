"""NAV-1, NAV-2: the side menu written in Python (`{% main_menu %}`, issue 17) is the HTML the
template loop it replaced wrote, in both languages, with the active entry and the badges; every
page's header links (`{% fixed_url %}`) are the `{% url %}` they replaced."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from portal.menu import ShownEntry, ShownSection, sections_for
from portal.templatetags.portal_menu import fixed_url, menu_html

# The loop base.html had before `{% main_menu %}`, kept here as the reference.
LOOP = Template(
    """{% load i18n %}<a href="{% url 'home' %}" class="{% if current_path == '/home/' %}active{% endif %}">{% translate "Home" %}</a>
    {% for section in menu_sections %}
      <div class="section">
        <div class="section-title">{{ section.label }}</div>
        {% for entry in section.entries %}
          <a href="{{ entry.url }}" class="{% if current_path == entry.url %}active{% endif %}">{{ entry.label }}{% if entry.badge %} <span class="badge" aria-label="{% blocktranslate count n=entry.badge %}{{ n }} needing attention{% plural %}{{ n }} needing attention{% endblocktranslate %}">{{ entry.badge }}</span>{% endif %}</a>
        {% endfor %}
      </div>
    {% endfor %}"""
)


def squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def with_badges(sections: list[ShownSection]) -> list[ShownSection]:
    """The same sections with a badge on a few entries (1, 3 and 12: singular and plural)."""
    badges = iter([1, 3, 0, 12])
    return [
        ShownSection(
            section.label,
            section.prefix,
            [ShownEntry(entry.label, entry.url, next(badges, 0)) for entry in section.entries],
        )
        for section in sections
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("current_path", ["/home/", "/orders/", "/nowhere/"])
def test_the_menu_is_the_html_of_the_template_loop(owner, language, current_path):
    sections = with_badges(sections_for(owner))
    assert sum(len(section.entries) for section in sections) > 20
    with translation.override(language):
        expected = LOOP.render(Context({"menu_sections": sections, "current_path": current_path}))
        written = menu_html(sections, current_path)
        again = menu_html(sections, current_path)  # from the process's memory this time
    assert squeezed(written) == squeezed(expected)
    assert again == written
    if current_path != "/nowhere/":
        assert f'<a href="{current_path}" class="active">' in written
    assert written.count('class="badge"') == 3


@pytest.mark.django_db
def test_a_label_is_escaped_and_each_language_keeps_its_own_words(owner):
    sections = [ShownSection("<b>Odd</b>", "/odd/", [ShownEntry("A & B", "/odd/a/", 2)])]
    html = menu_html(sections, "/odd/a/")
    assert "&lt;b&gt;Odd&lt;/b&gt;" in html and "A &amp; B" in html and "<b>" not in html
    shown = sections_for(owner)
    with translation.override("en"):
        english = menu_html(shown, "/home/")
    with translation.override("fr"):
        french = menu_html(shown, "/home/")
    assert "Home" in english and "Accueil" in french and "Home" not in french


@pytest.mark.parametrize(
    "url_name",
    ["root", "me:profile", "me:personal_data", "twofactor:security", "account_logout", "set_language"],
)
def test_the_header_links_are_the_reversed_urls(url_name):
    assert fixed_url(url_name) == reverse(url_name)


@pytest.mark.django_db
def test_the_entries_follow_each_users_rights_and_formula(owner, tech, billing, account):
    """Issue 17: the allowed entries are kept per formula, super user flag and rights; each user
    still gets the entries of their own rights."""
    from accounts.models import Account

    def urls(user) -> set[str]:
        return {entry.url for section in sections_for(user) for entry in section.entries}

    for _ in range(2):  # the second time from the process's memory
        assert reverse("operations:new") in urls(tech) and reverse("operations:new") not in urls(billing)
        assert reverse("billing:documents") in urls(billing) and reverse("billing:documents") not in urls(
            tech
        )
        assert urls(tech) | urls(billing) <= urls(owner)
    account.formula = Account.Formula.CURRENT
    account.save()
    billing.refresh_from_db()
    assert reverse("account_info:topup_euros") in urls(billing)
    account.formula = Account.Formula.REBATE
    account.save()
    billing.refresh_from_db()
    assert reverse("account_info:topup_euros") not in urls(billing)
