"""The page links of a django-tables2 table as a user follows them (`templates/django_tables2/portal.html`)."""

from __future__ import annotations

import html
import re
from typing import Any

NEXT = re.compile(r'<li class="next page-item">\s*<a href="([^"]*)"')
PREVIOUS = re.compile(r'<li class="previous page-item">\s*<a href="([^"]*)"')


def _link(response: Any, pattern: re.Pattern[str], what: str) -> str:
    found = pattern.search(response.content.decode())
    assert found, f"the page has a {what} link"
    return html.unescape(found.group(1))


def next_link(response: Any) -> str:
    """The query string of the page's "Next" link."""
    return _link(response, NEXT, "next")


def previous_link(response: Any) -> str:
    """The query string of the page's "Previous" link."""
    return _link(response, PREVIOUS, "previous")


def page_link(response: Any, number: int) -> str:
    """The query string of the link to page `number` in the page range."""
    return _link(
        response, re.compile(rf'<a class="page-link" href="([^"]*)">\s*{number}\s*</a>'), f"page {number}"
    )
