"""`{% main_menu %}`: the side menu (NAV-1, NAV-2) written in Python (issue 17, load).

Every page shows 30-40 entries; the template engine paid a `{% for %}` step, two `{% if %}` and
three lookups per entry, about a tenth of a page's CPU. The HTML is the one `base.html` wrote
(`tests/portal/test_menu.py` compares it), the labels and badges escaped by `format_html`.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext

from portal.menu import ShownSection, entry_url

register = template.Library()
HOME = gettext_lazy("Home")


# Per process: a menu has few distinct entries, languages, badges. An entry is known by its URL
# and a section by its prefix (each has one constant label), so the lazy labels are translated
# once per language rather than hashed on every request.
_links: dict[tuple[str, str | None, bool, int], SafeString] = {}
_titles: dict[tuple[str, str | None], SafeString] = {}
_MAX = 4096


def _link(url: str, language: str | None, active: bool, label: object, badge: int) -> SafeString:
    key = (url, language, active, badge)
    link = _links.get(key)
    if link is None:
        if len(_links) > _MAX:
            _links.clear()
        link = _links[key] = _render_link(url, active, label, badge)
    return link


def _render_link(url: str, active: bool, label: object, badge: int) -> SafeString:
    active_class = "active" if active else ""
    if not badge:
        return format_html('<a href="{}" class="{}">{}</a>', url, active_class, label)
    text = ngettext("%(n)s needing attention", "%(n)s needing attention", badge) % {"n": badge}
    return format_html(
        '<a href="{}" class="{}">{} <span class="badge" aria-label="{}">{}</span></a>',
        url,
        active_class,
        label,
        text,
        badge,
    )


def _title(prefix: str, language: str | None, label: object) -> SafeString:
    key = (prefix, language)
    title = _titles.get(key)
    if title is None:
        title = _titles[key] = format_html('<div class="section"><div class="section-title">{}</div>', label)
    return title


def menu_html(sections: list[ShownSection], current_path: str) -> SafeString:
    """The menu's links: Home, then each section's title and entries with their badges."""
    language = get_language()
    home = entry_url("home")
    parts: list[str] = [_link(home, language, current_path == home, HOME, 0)]
    for section in sections:
        parts.append(_title(section.prefix, language, section.label))
        parts.extend(
            _link(entry.url, language, current_path == entry.url, entry.label, entry.badge)
            for entry in section.entries
        )
        parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 (every part built by format_html)


_cards: dict[tuple[object, ...], SafeString] = {}


def section_cards_html(sections: list[ShownSection]) -> SafeString:
    """NAV-3: the home page's cards, one per menu section with its entries (no badges), kept per
    process by language and the entries shown."""
    key = (get_language(), *((s.prefix, *(e.url for e in s.entries)) for s in sections))
    html = _cards.get(key)
    if html is None:
        if len(_cards) > _MAX:
            _cards.clear()
        parts: list[str] = []
        for section in sections:
            parts.append(format_html('<div class="card"><h2>{}</h2><ul>', section.label))
            parts.extend(format_html('<li><a href="{}">{}</a></li>', e.url, e.label) for e in section.entries)
            parts.append("</ul></div>")
        html = _cards[key] = mark_safe("".join(parts))  # noqa: S308 (every part built by format_html)
    return html


@register.simple_tag(takes_context=True)
def section_cards(context: template.Context) -> SafeString:
    return section_cards_html(context.get("menu_sections") or [])


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> SafeString:
    return menu_html(context.get("menu_sections") or [], str(context.get("current_path", "")))


@register.simple_tag
def fixed_url(url_name: str) -> str:
    """`{% url %}` of a URL without arguments, reversed once per process (`portal.menu.entry_url`):
    the header of every page has six of them."""
    return entry_url(url_name)
