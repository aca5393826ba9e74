"""When a certificate should be renewed (LIFE-9): the ACME Renewal Information window (RFC 9773).

One rule for the nightly reissue list (JOBS-1, ORD-13) and the ACME server's renewalInfo resource:

- In the normal case the window opens when a third of the certificate's own lifetime remains (two
  thirds elapsed, so never before half of it has passed) and closes when a quarter remains: clients
  that pick a random moment inside it (RFC 9773 section 4.2) spread their renewals over a twelfth
  of the lifetime and still have a quarter of it to retry. The lifetime is the certificate's own,
  so the window shrinks with the SC-081 schedule (200, 100, then 47-day certificates).
- A certificate that must be replaced gets a window that opened when the need arose and closes one
  minute later, so an ARI client renews at once (a window in the past means "now", section 4.2):
  the certificate was revoked, or its key is compromised (another certificate with the same key was
  revoked for key compromise, on any account, BR 6.1.1.3 (4)) or blocked (a Debian weak or published
  key, `BlockedKey`). The CA model has no revoked-issuer or mass-revocation flag yet; when it gets
  one, it belongs in `replacement_since`.

Both forms depend only on stored data, never on the current time, so a nightly rebuild that computes
them twice gets the same dates. `with_renewal_window` computes the same dates in SQL (PostgreSQL and
SQLite) for set-based jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    DateTimeField,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Least
from django_scopes import scopes_disabled

from ..models import BlockedKey, Certificate, RevocationReason

#: Width of the window of a certificate that must be replaced: renew now.
IMMEDIATE = timedelta(minutes=1)


def lifetime_window(not_before: datetime, not_after: datetime) -> tuple[datetime, datetime]:
    """The normal window: from a third of the lifetime left to a quarter left."""
    lifetime = not_after - not_before
    return not_after - lifetime / 3, not_after - lifetime / 4


def replacement_since(certificate: Certificate) -> datetime | None:
    """When `certificate` started to need replacing at once, or None when it does not.

    Looks past the tenant's scope for other certificates of the same key (a compromise reported on
    one account condemns the key on every account); it only reads dates, nothing of the other account.
    """
    moments: list[datetime] = []
    if certificate.state == Certificate.State.REVOKED:
        moments.append(certificate.revoked_at or certificate.not_before)
    if certificate.public_key_sha256:
        with scopes_disabled():
            compromised = Certificate.objects.filter(
                public_key_sha256=certificate.public_key_sha256,
                state=Certificate.State.REVOKED,
                revocation_reason=RevocationReason.KEY_COMPROMISE,
            ).aggregate(first=Min(Coalesce("revoked_at", "not_before")))["first"]
        blocked = (
            BlockedKey.objects.filter(sha256=certificate.public_key_sha256)
            .values_list("created_at", flat=True)
            .first()
        )
        moments += [moment for moment in (compromised, blocked) if moment is not None]
    return min(moments) if moments else None


def renewal_window(certificate: Certificate) -> tuple[datetime, datetime]:
    """RFC 9773 suggestedWindow (start, end) of `certificate`, timezone-aware, start < end.

    A window whose end has passed means "renew now". Callers format the dates themselves (RFC 3339).
    """
    since = replacement_since(certificate)
    if since is not None:
        return since, since + IMMEDIATE
    return lifetime_window(certificate.not_before, certificate.not_after)


class ThirdLeft(Func):
    """`end - (end - start) / 3` in SQL: the moment a third of [start, end] remains.

    PostgreSQL divides the interval; SQLite (the demo's database) cannot divide Django's formatted
    durations, so it divides the microseconds `django_timestamp_diff` gives and adds them back."""

    arity = 2
    output_field = DateTimeField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra: Any,
    ) -> tuple[str, Any]:
        (start, start_params), (end, end_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return f"({end} - ({end} - {start}) / 3)", (*end_params, *end_params, *start_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        (start, start_params), (end, end_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = f"django_format_dtdelta('-', {end}, django_timestamp_diff({end}, {start}) / 3)"
        return sql, (*end_params, *end_params, *start_params)


def with_renewal_window(certificates: QuerySet[Certificate]) -> QuerySet[Certificate]:
    """Annotate, in SQL, `renewal_start` (the window's start as `renewal_window` gives it for a valid
    certificate) and `replace_since` (`replacement_since` of a valid certificate, else NULL).

    Only duration arithmetic and subqueries: the same query runs on PostgreSQL and SQLite.
    """
    lifetime_start = ThirdLeft(F("not_before"), F("not_after"))
    compromised = (
        Certificate.objects.filter(
            public_key_sha256=OuterRef("public_key_sha256"),
            state=Certificate.State.REVOKED,
            revocation_reason=RevocationReason.KEY_COMPROMISE,
        )
        .annotate(moment=Coalesce("revoked_at", "not_before"))
        .order_by("moment")
        .values("moment")[:1]
    )
    blocked = BlockedKey.objects.filter(sha256=OuterRef("public_key_sha256")).values("created_at")[:1]
    compromised_at = Subquery(compromised, output_field=DateTimeField())
    blocked_at = Subquery(blocked, output_field=DateTimeField())
    return certificates.annotate(
        replace_since=Coalesce(
            Least(compromised_at, blocked_at), compromised_at, blocked_at, output_field=DateTimeField()
        ),
        renewal_start=Coalesce(F("replace_since"), lifetime_start, output_field=DateTimeField()),
    )


def needs_replacing(certificates: QuerySet[Certificate]) -> QuerySet[Certificate]:
    """The certificates among `certificates` whose key is compromised or blocked (SQL).

    Two uncorrelated IN subqueries (the compromised keys are few, the blocked keys a fixed list):
    the database hashes each once; OR-ed correlated EXISTS would probe an index per certificate."""
    compromised = (
        Certificate.objects.filter(
            state=Certificate.State.REVOKED, revocation_reason=RevocationReason.KEY_COMPROMISE
        )
        .exclude(public_key_sha256="")
        .values("public_key_sha256")
    )
    blocked = BlockedKey.objects.values("sha256")
    return certificates.filter(Q(public_key_sha256__in=compromised) | Q(public_key_sha256__in=blocked))
