"""Lists of the Administration section as django-tables2 tables (PLAT-5): users, API users, logs;
in a certificate-login account the users list adds each user's certificate and its actions (ADM-3)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from accounts.audit_text import detail_fields, sentence
from accounts.models import AuditEvent, ClientCertificate, Right, User

from .services import stored_rights


def rights_badges(user: User) -> SafeString | str:
    if user.is_account_superuser:
        return format_html('<span class="badge right-super">{}</span>', _("Super user"))
    ticked = stored_rights(user)  # as ticked, also while suspended (has_right is False then)
    return (
        format_html_join(
            " ",
            '<span class="badge right-{}">{}</span>',
            ((right.value, right.label) for right in Right if right in ticked),
        )
        or "—"
    )


def state_badge(user: User) -> SafeString:
    """ADM-1 state: suspended wins over locked (a suspended user cannot log in either way)."""
    if not user.is_active:
        return format_html('<span class="badge state-suspended">{}</span>', _("Suspended"))
    if user.locked_at is not None:
        return format_html('<span class="badge state-locked">{}</span>', _("Locked"))
    return format_html('<span class="badge state-active">{}</span>', _("Active"))


class UserTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"), empty_values=(), order_by=("last_name", "first_name"))
    username = tables.Column(verbose_name=_("Username"))
    email = tables.Column(verbose_name=_("Email"))
    rights = tables.Column(verbose_name=_("Rights"), empty_values=(), orderable=False)
    state = tables.Column(verbose_name=_("State"), empty_values=(), orderable=False)
    last_login = tables.DateTimeColumn(
        verbose_name=_("Last login"), format="SHORT_DATETIME_FORMAT", default="—"
    )

    class Meta:
        model = User
        fields = ["name", "username", "email", "rights", "state", "last_login"]
        order_by = "name"
        empty_text = _("No user yet.")
        attrs = {"class": "table users"}

    def render_name(self, record: Any) -> Any:
        url = reverse("administration:user_detail", args=[record.public_id])
        return format_html('<a href="{}">{}</a>', url, record.get_full_name() or record.username)

    def render_rights(self, record: Any) -> Any:
        return rights_badges(record)

    def render_state(self, record: Any) -> Any:
        return state_badge(record)


class ApiUserTable(tables.Table):
    """ADM-4: API users with their tokens (prefetched: one query for all tokens of the page)."""

    name = tables.Column(verbose_name=_("Name"), accessor="first_name")
    username = tables.Column(verbose_name=_("Username"))
    rights = tables.Column(verbose_name=_("Rights"), empty_values=(), orderable=False)
    tokens = tables.Column(verbose_name=_("Tokens"), empty_values=(), orderable=False)
    date_joined = tables.DateTimeColumn(verbose_name=_("Created"), format="SHORT_DATETIME_FORMAT")

    class Meta:
        model = User
        fields = ["name", "username", "rights", "tokens", "date_joined"]
        order_by = "name"
        empty_text = _("No API user yet.")
        attrs = {"class": "table api-users"}

    def __init__(self, *args: Any, can_manage: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_manage = can_manage

    def render_rights(self, record: Any) -> Any:
        return rights_badges(record)

    def render_tokens(self, record: User) -> str:
        items = []
        for token in record.api_tokens.all():
            if token.revoked_at:
                state = format_html('<span class="badge state-suspended">{}</span>', _("revoked"))
            else:
                state = format_html('<span class="badge state-active">{}</span>', _("active"))
            if token.revoked_at is None and token.is_expired():
                state = format_html('<span class="badge state-suspended">{}</span>', _("expired"))
            used = token.last_used_at
            if used:
                usage = _("last used %(when)s") % {
                    "when": date_format(localtime(used), "SHORT_DATETIME_FORMAT")
                }
                if token.last_used_ip:
                    usage = _("%(usage)s from %(address)s") % {"usage": usage, "address": token.last_used_ip}
            else:
                usage = str(_("never used"))
            if token.expires_at and not token.is_expired():
                usage = _("%(usage)s, expires %(when)s") % {
                    "usage": usage,
                    "when": date_format(localtime(token.expires_at), "SHORT_DATETIME_FORMAT"),
                }
            action = ""
            if self.can_manage and token.revoked_at is None:
                url = reverse("administration:api_token_revoke", args=[record.public_id, token.prefix])
                action = format_html(' <a href="{}" class="danger">{}</a>', url, _("Revoke"))
            items.append(
                format_html(
                    '<li><code>{}…</code> {} {} <span class="muted">{}</span>{}</li>',
                    token.prefix,
                    token.name,
                    state,
                    usage,
                    action,
                )
            )
        new = ""
        if self.can_manage:
            url = reverse("administration:api_token_new", args=[record.public_id])
            new = format_html('<a href="{}">{}</a>', url, _("New token"))
        return format_html(
            '<ul class="tokens">{}</ul>{}', format_html_join("", "{}", ((i,) for i in items)), new
        )


def render_details(details: dict | None, action: str = "") -> str:
    """ADM-9: the details as labelled fields, their codes as labels (never a dictionary's code)."""
    fields = detail_fields(details, action)
    if not fields:
        return "—"
    return format_html(
        '<dl class="audit-details">{}</dl>',
        format_html_join("", "<dt>{}</dt><dd>{}</dd>", fields),
    )


class AuditEventTable(tables.Table):
    """ADM-9: every column is stored on the event itself, so a page is one query whatever its length.
    Each event reads as a sentence ("Claire Moreau approved order CPMQK3R5B8", accounts.audit_text)."""

    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="SHORT_DATETIME_FORMAT")
    event = tables.Column(
        verbose_name=_("Event"), empty_values=(), order_by=("action", "object_type", "object_id")
    )
    ip_address = tables.Column(verbose_name=_("Address"), default="—")
    details = tables.Column(verbose_name=_("Details"), empty_values=(), orderable=False)

    class Meta:
        model = AuditEvent
        fields = ["created_at", "event", "ip_address", "details"]
        order_by = "-created_at"
        empty_text = _("No event in this period.")
        attrs = {"class": "table audit"}

    def render_event(self, record: AuditEvent) -> str:
        text = sentence(record.action, record.actor_name, record.object_type, record.object_id)
        if record.is_staff_action:
            return format_html('{} <span class="badge">{}</span>', text, _("staff"))
        return text

    def render_details(self, record: AuditEvent) -> str:
        return render_details(record.details, record.action)


# ADM-3: certificate-login accounts ------------------------------------------------------------


def with_certificates(people: QuerySet[User]) -> QuerySet[User]:
    """One more query for the certificates of the whole page (PLAT-5: constant queries)."""
    return people.prefetch_related(
        Prefetch(
            "client_certificates",
            queryset=ClientCertificate.objects.order_by("-created_at", "-id"),
            to_attr="certificates_newest_first",
        )
    )


class CertificateUserTable(UserTable):
    certificate = tables.Column(verbose_name=_("Certificate"), empty_values=(), orderable=False)
    certificate_actions = tables.Column(
        verbose_name=_("Certificate actions"), empty_values=(), orderable=False
    )

    class Meta(UserTable.Meta):
        fields = [*UserTable.Meta.fields, "certificate", "certificate_actions"]

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def render_certificate(self, record: User) -> str:
        certificates = getattr(record, "certificates_newest_first", [])
        if not certificates:
            return format_html('<span class="muted">{}</span>', _("none"))
        newest = certificates[0]
        return format_html(
            '<span class="badge cert-state-{}">{}</span> <span class="muted">{}</span>',
            newest.state,
            newest.get_state_display(),
            newest.not_after.date().isoformat(),
        )

    def render_certificate_actions(self, record: User) -> str:
        if record.pk == self.viewer.pk:
            return "—"
        return render_to_string("clientcert/_admin_actions.html", {"person": record})
