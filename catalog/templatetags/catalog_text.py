"""Catalogue text in the reader's language (issue 8 point 15)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def catalog_text(value: str) -> str:
    """A description or delivery time of the catalogue: the seed's strings are in the French
    catalogue (catalog.seed marks them), a text staff typed themselves is shown as typed."""
    return gettext(value) if value else ""
