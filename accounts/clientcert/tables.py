"""ADM-3: the users list of a certificate-login account adds each user's certificate and its actions."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.administration.tables import UserTable
from accounts.models import ClientCertificate, User


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

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def render_certificate(self, record):
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

    def render_certificate_actions(self, record):
        if record.pk == self.viewer.pk:
            return "—"
        return render_to_string("clientcert/_admin_actions.html", {"person": record})
