"""NAV-1: the menu, built from the user's rights and the account's formula; NAV-2: its badges.

A section shows only when it has working pages the user may open; the views check the same
rights (and formulas), so a hidden entry's URL refuses too. Each app below describes its own
entries (billing.menu); this module only assembles them in the NAV-1 order.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import account_cache
from accounts.models import Account, Right, User
from billing import menu as billing_menu
from orders.services import actions as orders_actions
from orders.services import approval as orders_approval
from orders.services import reissue_list as orders_reissue_list


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    url_name: str
    rights: tuple[Right, ...]
    formulas: tuple[str, ...] | None = None  # None: every formula
    superuser_only: bool = False  # ADM-5: the account's super user alone

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def allows(self, user: User) -> bool:
        account = user.account
        if account is None:
            return False
        if self.formulas is not None and account.formula not in self.formulas:
            return False
        if self.superuser_only and not user.is_account_superuser:
            return False
        if not self.rights:  # every user of the account (AUTO-5 documentation)
            return True
        return any(user.has_right(right) for right in self.rights)


class MenuItem(Protocol):
    """An entry as an app describes it (Entry here, billing.menu.MenuEntry)."""

    @property
    def label(self) -> str | Promise: ...

    @property
    def url_name(self) -> str: ...

    @property
    def url(self) -> str: ...

    def allows(self, user: User) -> bool: ...


@dataclass
class Section:
    label: str | Promise
    prefix: str
    entries: Sequence[MenuItem] = field(default_factory=list)


@dataclass
class ShownEntry:
    label: str | Promise
    url: str
    badge: int = 0


@dataclass
class ShownSection:
    """A section as the user sees it: the entries they may open, with their badges."""

    label: str | Promise
    prefix: str
    entries: list[ShownEntry]


class _MenuRequest(HttpRequest):
    """The request with the menu computed once (type only)."""

    _menu_sections: list[ShownSection]


SECTIONS = [
    Section(
        _("Operations"),
        "/operations/",
        [
            Entry(_("New order"), "operations:new", (Right.TECHNICAL,)),
            Entry(_("Renewal"), "lifecycle:renewals", (Right.TECHNICAL,)),
            Entry(_("Reissue"), "lifecycle:reissue_list", (Right.TECHNICAL,)),
            Entry(_("Recommended reissues"), "lifecycle:recommended_reissues", (Right.TECHNICAL,)),
            Entry(_("Automatic renewal"), "lifecycle:auto_renewal", (Right.TECHNICAL,)),
            Entry(_("Clone"), "lifecycle:clone", (Right.TECHNICAL,)),
            Entry(_("Migration"), "lifecycle:migrate", (Right.TECHNICAL,)),
            Entry(_("Import a certificate"), "lifecycle:import", (Right.TECHNICAL,)),
        ],
    ),
    Section(
        _("Your orders"),
        "/orders/",
        [
            Entry(_("All orders"), "orders:list", (Right.TECHNICAL, Right.COMMERCIAL)),
            Entry(_("Awaiting approval"), "orders:approval", (Right.APPROVAL,)),
            Entry(_("Certificates to accept"), "orders:to_accept", (Right.TECHNICAL, Right.COMMERCIAL)),
            Entry(_("External order links"), "orders:links", (Right.TECHNICAL,)),
            Entry(_("Pre-validation"), "prevalidation:list", (Right.TECHNICAL, Right.COMMERCIAL)),  # AUTO-1
            Entry(_("Domains"), "orders:domains", (Right.TECHNICAL, Right.COMMERCIAL)),  # AUTO-3
        ],
    ),
    Section(
        _("Monitoring"),
        "/monitoring/",
        [
            Entry(_("Dashboard"), "monitoring:dashboard", (Right.TECHNICAL,)),
            Entry(_("Monitoring settings"), "monitoring:settings", (Right.TECHNICAL,)),
        ],
    ),
    Section(
        _("Administration"),
        "/administration/",
        [
            Entry(
                _("Preferences"), "administration_preferences", (Right.ADMINISTRATIVE,), superuser_only=True
            ),
            Entry(_("Users"), "administration:users", (Right.ADMINISTRATIVE,)),
            Entry(_("Contacts"), "administration:contacts", (Right.ADMINISTRATIVE,)),
            Entry(_("API users"), "administration:api_users", (Right.ADMINISTRATIVE,)),
            Entry(_("ACME"), "acme_admin:endpoints", (Right.ADMINISTRATIVE,)),  # AUTO-2
            Entry(_("Logs"), "administration:logs", (Right.ADMINISTRATIVE,)),
        ],
    ),
    Section(_("Pricing"), "/pricing/", list(billing_menu.PRICING)),
    Section(_("Account info"), "/account/", list(billing_menu.ACCOUNT_INFO)),
    Section(_("Accounting"), "/accounting/", list(billing_menu.ACCOUNTING)),
    Section(
        _("Contracts"),
        "/contract/",
        [
            Entry(_("Contract"), "contracts:contract", (Right.ADMINISTRATIVE,)),  # CON-1
            Entry(_("Data processing agreement"), "contracts:consent", (Right.ADMINISTRATIVE,)),  # CON-2
        ],
    ),
    Section(
        _("Documentation"),
        "/documentation/",
        [  # AUTO-5: every user
            Entry(_("Product sheets"), "documentation:index", ()),
            Entry(_("Newsletters"), "documentation:newsletters", ()),
            Entry(_("User guide"), "documentation:guide_current", ()),
        ],
    ),
]


def badge_counts(user: User) -> dict[str, int]:
    """NAV-2: counts needing attention, keyed by url name; only for sections the user can see.

    Each family is counted once per account and kept in the cache (`accounts.account_cache`):
    the services drop it when they change what it counts, so a page does not recount the whole
    account on every request (issue 17); no query at all while the cache holds them.
    """
    counts: dict[str, int] = {}
    account = user.account
    if account is None:
        return counts
    if user.has_right(Right.TECHNICAL) or user.has_right(Right.COMMERCIAL):
        counts["orders:to_accept"] = account_cache.cached(
            account.pk, "badge:to_accept", lambda: orders_actions.to_accept_count(account)
        )
    if user.has_right(Right.APPROVAL):
        counts.update(
            account_cache.cached(account.pk, "badge:approval", lambda: orders_approval.badge_counts(account))
        )
    if user.has_right(Right.BILLING):
        counts.update(
            account_cache.cached(account.pk, "badge:billing", lambda: billing_menu.badge_counts(account))
        )
    if user.has_right(Right.TECHNICAL):  # ORD-13
        counts.update(
            account_cache.cached(
                account.pk, "badge:reissues", lambda: orders_reissue_list.badge_counts(account)
            )
        )
    return counts


@functools.lru_cache(maxsize=256)
def _entry_url(url_name: str, script_prefix: str, urlconf: str | None) -> str:
    return reverse(url_name, urlconf=urlconf)


def entry_url(url_name: str) -> str:
    """An entry's URL, reversed once per process (and script prefix): the menu of every page has
    30-40 entries (issue 17, load)."""
    return _entry_url(url_name, get_script_prefix(), get_urlconf())


# The entries a user may open, per process by what `allows` reads (issue 17, load: 40 entries
# checked on every page): the account's formula, the super user flag and the user's rights.
_allowed: dict[tuple[Any, ...], list[tuple[Section, list[MenuItem]]]] = {}


def _allowed_entries(user: User) -> list[tuple[Section, list[MenuItem]]]:
    account = cast(Account, user.account)
    key = (account.formula, user.is_account_superuser, *(user.has_right(right) for right in Right))
    found = _allowed.get(key)
    if found is None:
        found = _allowed[key] = [
            (section, [entry for entry in section.entries if entry.allows(user)]) for section in SECTIONS
        ]
    return found


def sections_for(user: User | AnonymousUser) -> list[ShownSection]:
    if not user.is_authenticated or user.account is None or user.account.status != Account.Status.ACTIVE:
        return []
    badges = badge_counts(user)
    visible = []
    prefix, urlconf = get_script_prefix(), get_urlconf()  # read once, not per entry (issue 17, load)
    for section, allowed in _allowed_entries(user):
        entries = [
            ShownEntry(e.label, _entry_url(e.url_name, prefix, urlconf), badges.get(e.url_name, 0))
            for e in allowed
        ]
        if entries:
            visible.append(ShownSection(section.label, section.prefix, entries))
    return visible


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the menu and the connection bar (ACC-8)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    # Computed once per request: templates rendered inside the page (django-tables2's
    # render_table) run the context processors again, and the badges cost queries (NAV-2).
    cached = cast(_MenuRequest, request)
    sections = getattr(cached, "_menu_sections", None)
    if sections is None:
        sections = cached._menu_sections = sections_for(user)
    return {"menu_sections": sections, "current_path": request.path}
