"""SEPA direct debit mandates (ADM-5 accounting part, ORD-9 direct debit).

The customer fills in the mandate (prefilled from the holder organisation); the portal gives it a
unique mandate reference (RUM, at most 35 characters), renders it to PDF with the creditor
identifier (setting BILLING_SEPA_CREDITOR_ID) and emails it to the account's super user, who
sends it back signed. Staff then validate it in the back office; only a validated mandate lets
the account pay by direct debit (`active_mandate`). Validating a recurring mandate makes direct
debit the account's default payment mode (user guide 7.2.3). Every change is audited.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Case, Value, When
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_97_10

from accounts.audit import log_action
from accounts.models import Account, User

from .. import conf
from ..mailing import send_pdf_mail_on_commit
from ..models import BillingProfile, MandateKind, MandateStatus, PaymentMode, SepaMandate
from .pdf import html_to_pdf

# Countries of the SEPA scheme (EPC list): the EU, the EEA, and the other participants.
SEPA_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",  # EU
        "IS",
        "LI",
        "NO",  # EEA
        "AD",
        "CH",
        "GB",
        "GI",
        "MC",
        "SM",
        "VA",
        "AL",
        "MD",
        "ME",
        "MK",
    }
)
# A demo creditor identifier (the French example ICS, valid check digits); set the real one.
DEFAULT_CREDITOR_ID = "FR72ZZZ123456"


class MandateError(ValueError):
    """A mandate that cannot take the state asked."""


def creditor_id() -> str:
    """The SEPA creditor identifier (ICS) printed on mandates: settings.BILLING_SEPA_CREDITOR_ID,
    checked like an IBAN (ISO 7064 mod 97-10 over the national part, country code and check digits;
    the three-character business code is left out of the check, per the EPC rules)."""
    value = "".join(str(getattr(settings, "BILLING_SEPA_CREDITOR_ID", DEFAULT_CREDITOR_ID)).split()).upper()
    if (
        len(value) < 8
        or len(value) > 35
        or not value[:2].isalpha()
        or not value[2:4].isdigit()
        or not value.isalnum()
    ):
        raise ImproperlyConfigured("BILLING_SEPA_CREDITOR_ID is not a SEPA creditor identifier.")
    if mod_97_10.checksum(value[7:] + value[:4]) != 1:
        raise ImproperlyConfigured("BILLING_SEPA_CREDITOR_ID has wrong check digits.")
    return value


def clean_iban(value: str) -> str:
    """The IBAN in its compact form; raises MandateError when invalid or outside SEPA."""
    try:
        number = stdnum_iban.validate(value)
    except StdnumError:
        raise MandateError(_("This IBAN is not valid: check its length and digits.")) from None
    if number[:2] not in SEPA_COUNTRIES:
        raise MandateError(_("This IBAN is not from a country of the SEPA zone."))
    return number


def clean_bic(value: str) -> str:
    try:
        return stdnum_bic.validate(value)
    except StdnumError:
        raise MandateError(_("This BIC is not valid: 8 or 11 letters and digits.")) from None


def new_reference(account: Account) -> str:
    """A unique mandate reference (RUM): RUM, the account, the date and a random part (25 chars)."""
    return f"RUM{account.pk:06d}{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}"


def render_mandate_pdf(mandate: SepaMandate, language: str) -> bytes:
    """ADM-5: the mandate as PDF (WeasyPrint), in `language`, ready to sign."""
    with translation.override(language):
        html = render_to_string(
            "billing/pdf/sepa_mandate.html",
            {
                "mandate": mandate,
                "seller": conf.seller(),
                "language": language,
            },
        )
    return html_to_pdf(html)


def _super_user_emails(account: Account) -> list[str]:
    return list(
        User.objects.filter(account=account, is_account_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def request_mandate(
    account: Account,
    *,
    kind: str,
    holder: dict,
    iban: str,
    bic: str,
    by: User,
    request: HttpRequest | None = None,
) -> SepaMandate:
    """ADM-5: record a mandate awaiting its signature, render its PDF and email it to the account's
    super user (with the requesting user in copy)."""
    if kind not in MandateKind.values:
        raise MandateError(_("Choose a recurring or a one-off mandate."))
    iban, bic = clean_iban(iban), clean_bic(bic)
    with transaction.atomic():
        mandate = SepaMandate.objects.create(
            account=account,
            reference=new_reference(account),
            kind=kind,
            iban=iban,
            bic=bic,
            holder_name=holder["name"],
            holder_address=holder["address"],
            holder_postal_code=holder["postal_code"],
            holder_city=holder["city"],
            holder_country=holder["country"].upper(),
            creditor_id=creditor_id(),
            created_by=by,
        )
        mandate.pdf = render_mandate_pdf(mandate, account.language)
        mandate.save(update_fields=["pdf"])
        log_action(
            "billing.sepa_mandate_requested",
            account=account,
            user=by,
            obj=mandate,
            request=request,
            reference=mandate.reference,
            kind=kind,
            iban=mandate.masked_iban,
        )
        to = _super_user_emails(account) or [by.email]
        send_pdf_mail_on_commit(
            "sepa_mandate",
            to,
            {
                "account_name": account.name,
                "reference": mandate.reference,
                "kind": mandate.get_kind_display(),
                "iban": mandate.masked_iban,
                "requested_by": by.get_full_name() or by.username,
                "seller_name": conf.seller()["name"],
                "seller_email": conf.seller()["email"],
            },
            account.language,
            cc=[by.email],
            attachments=[("sepa_mandate", mandate.pk)],
        )
    return mandate


def validate_mandate(
    mandate: SepaMandate, by: User, *, signed_at: datetime.date | None = None
) -> SepaMandate:
    """ADM-5: staff received the signed mandate. Idempotent. Older validated mandates of the same
    kind are revoked (one active per kind); a recurring one makes direct debit the default mode."""
    with transaction.atomic():
        mandate = SepaMandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.status == MandateStatus.VALIDATED:
            return mandate
        if mandate.status == MandateStatus.REVOKED:
            raise MandateError(_("A revoked mandate cannot be validated; ask for a new one."))
        now = timezone.now()
        mandate.status = MandateStatus.VALIDATED
        mandate.validated_at, mandate.validated_by = now, by
        mandate.signed_at = signed_at or mandate.signed_at or timezone.localdate()
        mandate.save(update_fields=["status", "validated_at", "validated_by", "signed_at"])
        older = list(
            SepaMandate.objects.select_for_update()
            .filter(account=mandate.account, kind=mandate.kind, status=MandateStatus.VALIDATED)
            .exclude(pk=mandate.pk)
        )
        for previous in older:
            _revoke(previous, by, reason="replaced", replaced_by=mandate.reference)
        if mandate.kind == MandateKind.RECURRING:
            BillingProfile.objects.update_or_create(
                account=mandate.account, defaults={"default_payment_mode": PaymentMode.DIRECT_DEBIT}
            )
        log_action(
            "billing.sepa_mandate_validated",
            account=mandate.account,
            user=by,
            obj=mandate,
            reference=mandate.reference,
            kind=mandate.kind,
            signed_at=mandate.signed_at.isoformat(),
        )
    return mandate


def _revoke(mandate: SepaMandate, by: User | None, **details: Any) -> None:
    mandate.status = MandateStatus.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.save(update_fields=["status", "revoked_at"])
    log_action(
        "billing.sepa_mandate_revoked",
        account=mandate.account,
        user=by,
        obj=mandate,
        reference=mandate.reference,
        **details,
    )


def revoke_mandate(mandate: SepaMandate, by: User | None) -> SepaMandate:
    """ADM-5: end a mandate (the customer cancelled it, or staff refuse it). Idempotent. Without
    another validated recurring mandate, the default payment mode goes back to card."""
    with transaction.atomic():
        mandate = SepaMandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.status == MandateStatus.REVOKED:
            return mandate
        _revoke(mandate, by)
        still_recurring = SepaMandate.objects.filter(
            account=mandate.account, kind=MandateKind.RECURRING, status=MandateStatus.VALIDATED
        ).exists()
        if not still_recurring:
            BillingProfile.objects.filter(
                account=mandate.account, default_payment_mode=PaymentMode.DIRECT_DEBIT
            ).update(default_payment_mode=PaymentMode.CARD)
    return mandate


def active_mandate(account: Account) -> SepaMandate | None:
    """ORD-9, LEDG-4: the validated mandate a direct debit uses (the latest recurring one, else the
    latest one-off one), or None when the account may not pay by direct debit."""
    recurring_first = Case(When(kind=MandateKind.RECURRING, then=Value(0)), default=Value(1))
    return (
        SepaMandate.objects.filter(account=account, status=MandateStatus.VALIDATED)
        .defer("pdf")
        .order_by(recurring_first, "-validated_at")
        .first()
    )


def mandates_of(account: Account) -> Any:
    """ADM-5: the account's mandates, newest first, without their PDFs."""
    return SepaMandate.objects.filter(account=account).defer("pdf").select_related("validated_by")
