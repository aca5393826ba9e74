"""NAV-1: the menu, built from the user's rights. A section shows only when it has working pages
the user may open; the views check the same rights, so a hidden entry's URL refuses too."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Right


@dataclass
class Entry:
    label: str
    url_name: str
    rights: tuple[Right, ...]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class Section:
    label: str
    prefix: str
    entries: list[Entry] = field(default_factory=list)


SECTIONS = [
    Section(_("Operations"), "/operations/", [
        Entry(_("New order"), "operations:new", (Right.TECHNICAL,)),
    ]),
    Section(_("Your orders"), "/orders/", [
        Entry(_("All orders"), "orders:list", (Right.TECHNICAL, Right.COMMERCIAL)),
    ]),
    Section(_("Administration"), "/administration/", [
        Entry(_("Users"), "administration:users", (Right.ADMINISTRATIVE,)),
        Entry(_("API users"), "administration:api_users", (Right.ADMINISTRATIVE,)),
        Entry(_("Logs"), "administration:logs", (Right.ADMINISTRATIVE,)),
    ]),
]


def sections_for(user) -> list[Section]:
    if not user.is_authenticated or user.account is None or user.account.status != Account.Status.ACTIVE:
        return []
    visible = []
    for section in SECTIONS:
        entries = [e for e in section.entries if any(user.has_right(r) for r in e.rights)]
        if entries:
            visible.append(Section(section.label, section.prefix, entries))
    return visible


def menu(request):
    """Context processor: the menu and the connection bar (ACC-8)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"menu_sections": sections_for(user), "current_path": request.path}
