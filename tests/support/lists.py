"""Finding every list of the portal (django-tables2 tables and paginated pages) by crawling the demo.

Used by the list tests (query-string fuzzing, every sort column): a new list is covered without
being named here.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.core.paginator import Page
from django.test import Client
from django_tables2 import Table

HREF = re.compile(r'href="([^"#]+)"')
SKIP = ("/accounts/", "/i18n/", "/static/", "/staff/", "/api/", "mailto:")
MAX_PAGES = 300


@dataclass
class ListPage:
    """A page showing lists: the tables (prefix → orderable columns) and plain pages it holds."""

    url: str
    tables: dict[str, list[str]] = field(default_factory=dict)
    pages: int = 0


def _contexts(response: Any) -> list[dict]:
    context = response.context
    if context is None:
        return []
    contexts = list(context) if isinstance(context, list) else [context]
    dicts: list[dict] = []
    for one in contexts:
        dicts.extend(getattr(one, "dicts", [one]))
    return dicts


def lists_in(response: Any) -> tuple[list[Table], list[Page]]:
    """The paginated tables and the plain pages of a response's template context."""
    tables: dict[int, Table] = {}
    pages: dict[int, Page] = {}
    for values in _contexts(response):
        for value in values.values():
            if isinstance(value, Table) and hasattr(value, "paginator"):
                tables[id(value)] = value
            elif isinstance(value, Page) and not any(value is t.page for t in tables.values()):
                pages[id(value)] = value
    table_pages = {id(t.page) for t in tables.values()}
    return list(tables.values()), [p for k, p in pages.items() if id(p) not in table_pages]


def find_lists(client: Client, start: str = "/home/") -> list[ListPage]:
    """Follow every link (without query string) from `start` and keep the pages showing a list."""
    seen: set[str] = set()
    found: list[ListPage] = []
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        tables, pages = lists_in(response)
        if tables or pages:
            page = ListPage(url=url, pages=len(pages))
            for table in tables:
                page.tables[table.prefix] = [c.name for c in table.columns if c.orderable]
            found.append(page)
        for href in HREF.findall(response.content.decode()):
            parts = urlsplit(urljoin(url, href.replace("&amp;", "&")))
            if parts.netloc and parts.netloc != "testserver":
                continue
            if parts.path.startswith(SKIP) or parts.path in seen or "export" in parts.path:
                continue
            queue.append(parts.path)
    return found
