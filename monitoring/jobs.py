"""JOBS-3: the installation test (LIFE-4) of each delivered server certificate, a few days after delivery.

Certificates delivered between `AFTER` and `UNTIL` ago are selected in one query; a
`CertificateNotice` of kind "installation_check" is claimed per certificate (inserted with ON
CONFLICT DO NOTHING, then locked with SKIP LOCKED and marked in a short transaction) before any
connection is opened, so a second run or worker never tests nor emails twice. The result is kept
as an `InstallationCheck` (shown on the status page) and, when not green, the technical contact
is emailed with the reasons in the account's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from catalog.models import SERVER_TYPES
from jobs.recorder import Outcome
from orders.models import ISSUED_HERE, Certificate, CertificateNotice
from orders.services.ordering import status_url

from . import installation
from .models import InstallationCheck, Result
from .services import default_host

AFTER = timedelta(days=3)
UNTIL = timedelta(days=10)
PER_RUN = 200
KIND = CertificateNotice.Kind.INSTALLATION_CHECK


def to_check(now: datetime) -> QuerySet[Certificate]:
    done = CertificateNotice.objects.filter(certificate=OuterRef("pk"), kind=KIND)
    return Certificate.objects.filter(
        ISSUED_HERE,
        state=Certificate.State.VALID,
        imported=False,
        created_at__lte=now - AFTER,
        created_at__gt=now - UNTIL,
        order__product__product_type__in=SERVER_TYPES,
    ).filter(~Exists(done))


def claim(now: datetime) -> list[Certificate]:
    """Claim up to PER_RUN certificates for this worker."""
    pairs = list(to_check(now).order_by("pk").values_list("pk", "account_id")[:PER_RUN])
    CertificateNotice.objects.bulk_create(
        [CertificateNotice(account_id=account, certificate_id=pk, kind=KIND) for pk, account in pairs],
        ignore_conflicts=True,
    )
    with transaction.atomic():
        notices = list(
            CertificateNotice.objects.select_for_update(skip_locked=True)
            .filter(certificate_id__in=[pk for pk, _ in pairs], kind=KIND, done_at__isnull=True)
            .values_list("pk", "certificate_id")
        )
        CertificateNotice.objects.filter(pk__in=[n for n, _ in notices]).update(done_at=now, result="claimed")
    return list(
        Certificate.objects.filter(pk__in=[c for _, c in notices])
        .select_related("order__technical_contact", "order__account", "order__product")
        .order_by("pk")
    )


def run_post_issuance_checks(now: datetime | None = None) -> Outcome:
    now = now or timezone.now()
    counts: dict[str, int] = {Result.GREEN: 0, Result.ORANGE: 0, Result.RED: 0}
    with scopes_disabled():
        for certificate in claim(now):
            host = default_host(certificate)
            report = installation.test_installation(host, 443, expected=certificate, now=now)
            check = InstallationCheck.objects.create(
                account_id=certificate.account_id,
                certificate=certificate,
                host=report.host,
                port=443,
                starttls="",
                result=report.result,
                reasons=report.reasons_json,
                details=report.details,
                checked_at=now,
            )
            CertificateNotice.objects.filter(certificate=certificate, kind=KIND).update(result=report.result)
            log_action(
                "certificate.installation_tested",
                account=certificate.account,
                obj=certificate.order,
                serial=certificate.serial,
                host=report.host,
                port=443,
                starttls="",
                result=report.result,
                automatic=True,
            )
            counts[Result(report.result)] += 1
            if report.result != Result.GREEN:
                _email(certificate, check)
    return Outcome(done=sum(counts.values()), details={str(k): v for k, v in counts.items()})


def _email(certificate: Certificate, check: InstallationCheck) -> None:
    order = certificate.order
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "host": check.host,
            "port": check.port,
            "result": str(check.get_result_display()),
            "reasons": [reason.message for reason in check.reason_list()],
            "status_url": status_url(order),
            "contact_name": order.technical_contact.full_name,
        }
    send_mail_on_commit(
        "installation_check_failed", [order.technical_contact.email], context, language, account=order.account
    )
