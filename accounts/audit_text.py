"""The audit log as sentences a customer understands (ADM-9, issue 8 point 14).

An event is stored with machine codes (`order.approved`, `{"from": "dns"}`); the log page shows
"Claire Moreau approved order CPMQK3R5B8" and the details as labelled fields. The CSV keeps the codes
as extra columns. An action without a sentence here (a new one) reads "<who>: <action> (<object>)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Choices
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.formatting import amount_text, date_text, datetime_text

# What an event's object is called in a sentence ("order CPMQK3R5B8").
OBJECTS: dict[str, Promise] = {
    "order": _("order %(id)s"),
    "user": _("user %(id)s"),
    "account": _("account %(id)s"),
    "certificate": _("certificate %(id)s"),
    "document": _("document %(id)s"),
    "coupon": _("coupon %(id)s"),
    "promocode": _("promo code %(id)s"),
    "apitoken": _("API token %(id)s"),
    "organisation": _("organisation %(id)s"),
    "contact": _("contact %(id)s"),
    "topup": _("top-up %(id)s"),
    "sepamandate": _("SEPA mandate %(id)s"),
    "externalorderlink": _("external order link %(id)s"),
    "clientcertificate": _("client certificate %(id)s"),
    "webauthncredential": _("passkey %(id)s"),
    "certificateauthority": _("certification authority %(id)s"),
    "upstreamacmeaccount": _("outside ACME certification authority %(id)s"),
    "billingprofile": _("billing profile %(id)s"),
    "rebate": _("rebate %(id)s"),
    "discountgrid": _("discount grid %(id)s"),
    "latepaymentstatement": _("late-payment statement %(id)s"),
    "acmeendpoint": _("ACME endpoint %(id)s"),
    "prevalidation": _("pre-validation %(id)s"),
}

# One sentence per action: %(who)s is the person (or "system"), %(object)s the object's name.
SENTENCES: dict[str, Promise] = {
    "2fa.required": _("%(who)s made the second factor compulsory on %(object)s"),
    "account.registered": _("%(who)s asked to open %(object)s"),
    "account.rejected": _("%(who)s rejected the request of %(object)s"),
    "account.superuser_changed": _("%(who)s changed the super user of %(object)s"),
    "account.validated": _("%(who)s validated %(object)s"),
    "acme.account_created": _("%(who)s registered an ACME client on %(object)s"),
    "acme.account_deactivated": _("%(who)s deactivated an ACME client's account on %(object)s"),
    "acme.challenge_failed": _("An ACME challenge failed on %(object)s"),
    "acme.challenge_validated": _("%(who)s validated a domain by an ACME challenge on %(object)s"),
    "acme.endpoint_created": _("%(who)s created %(object)s"),
    "prevalidation.requested": _("%(who)s asked for %(object)s"),
    "prevalidation.validated": _("%(who)s validated %(object)s"),
    "prevalidation.rejected": _("%(who)s rejected %(object)s"),
    "acme.endpoint_disabled": _("%(who)s disabled %(object)s"),
    "acme.endpoint_enabled": _("%(who)s enabled %(object)s again"),
    "acme.endpoint_revoked": _("%(who)s revoked %(object)s"),
    "acme.key_changed": _("%(who)s changed the key of an ACME client's account on %(object)s"),
    "api_token.created": _("%(who)s created %(object)s"),
    "api_token.revoked": _("%(who)s revoked %(object)s"),
    "api_user.created": _("%(who)s created the API user %(object)s"),
    "billing.cash_only_lifted": _("%(who)s lifted the cash-only restriction of %(object)s"),
    "billing.cash_only_set": _("%(who)s restricted %(object)s to cash payments"),
    "billing.charge_registered": _("%(who)s added a charge to the monthly invoice (%(object)s)"),
    "billing.charge_withdrawn": _("%(who)s withdrew a charge from the monthly invoice (%(object)s)"),
    "billing.discount_grid_changed": _("%(who)s changed %(object)s"),
    "billing.discount_grid_deleted": _("%(who)s deleted %(object)s"),
    "billing.invoice_cancelled": _("%(who)s cancelled %(object)s"),
    "billing.invoice_paid": _("%(who)s recorded the payment of %(object)s"),
    "billing.low_balance_alert": _("%(who)s sent a low-balance alert for %(object)s"),
    "billing.monthly_invoice_issued": _("%(who)s issued the monthly invoice %(object)s"),
    "billing.profile_changed": _("%(who)s changed %(object)s"),
    "billing.quote_expired": _("%(who)s marked %(object)s expired"),
    "billing.quote_signed": _("%(who)s recorded the signature of %(object)s"),
    "billing.sepa_mandate_requested": _("%(who)s requested %(object)s"),
    "billing.sepa_mandate_revoked": _("%(who)s revoked %(object)s"),
    "billing.sepa_mandate_validated": _("%(who)s validated %(object)s"),
    "billing.topup_cancelled": _("%(who)s cancelled %(object)s"),
    "billing.topup_created": _("%(who)s ordered %(object)s"),
    "billing.topup_paid": _("%(who)s recorded the payment of %(object)s"),
    "ca.created": _("%(who)s created %(object)s"),
    "certificate.accepted": _("%(who)s accepted the certificate of %(object)s"),
    "certificate.expired": _("The certificate of %(object)s expired"),
    "certificate.imported": _("%(who)s imported a certificate as %(object)s"),
    "certificate.installation_tested": _("%(who)s tested the installation of %(object)s"),
    "certificate.issued": _("%(who)s issued the certificate of %(object)s"),
    "certificate.note_changed": _("%(who)s changed the note of a certificate of %(object)s"),
    "certificate.reissued": _("%(who)s reissued the certificate of %(object)s"),
    "certificate.revocation_scheduled": _("%(who)s scheduled the revocation of a certificate of %(object)s"),
    "certificate.revoked": _("%(who)s revoked a certificate of %(object)s"),
    "clientcert.ca_created": _("%(who)s created the login certification authority of %(object)s"),
    "clientcert.enrolment_created": _("%(who)s sent a client certificate enrolment link (%(object)s)"),
    "clientcert.issued": _("%(who)s issued a login certificate (%(object)s)"),
    "clientcert.panic": _("%(who)s blocked every login certificate of %(object)s"),
    "clientcert.reactivated": _("%(who)s reactivated a login certificate (%(object)s)"),
    "clientcert.revoked": _("%(who)s revoked a login certificate (%(object)s)"),
    "clientcert.suspended": _("%(who)s suspended a login certificate (%(object)s)"),
    "contact.created": _("%(who)s created %(object)s"),
    "coupon.expired": _("%(object)s expired"),
    "coupon.issued": _("%(who)s issued %(object)s"),
    "coupon.refund_requested": _("%(who)s asked for the refund of %(object)s"),
    "coupon.refunded": _("%(who)s refunded %(object)s"),
    "coupon.used": _("%(who)s used %(object)s"),
    "dcv.email_sent": _("%(who)s sent the domain validation email of %(object)s"),
    "dcv.method_changed": _("%(who)s changed the domain validation method of %(object)s"),
    "dcv.renewed": _("%(who)s renewed a domain validation of %(object)s"),
    "dcv.reused": _("A recent domain validation was reused for %(object)s"),
    "dcv.started": _("%(who)s started the domain validation of %(object)s"),
    "dcv.validated": _("%(who)s validated a domain of %(object)s"),
    "dcv.validated_manually": _("%(who)s validated a domain of %(object)s by hand"),
    "late_payment.statement_issued": _("%(who)s issued a late-payment statement (%(object)s)"),
    "ledger.euros_credited": _("%(who)s credited the euro balance (%(object)s)"),
    "ledger.euros_debited": _("%(who)s debited the euro balance (%(object)s)"),
    "ledger.tokens_credited": _("%(who)s credited tokens (%(object)s)"),
    "ledger.tokens_debited": _("%(who)s used tokens (%(object)s)"),
    "login.certificate": _("%(who)s logged in with a certificate"),
    "login.succeeded": _("%(who)s logged in"),
    "order.approved": _("%(who)s approved %(object)s"),
    "order.cancellation_refunded": _("%(who)s refunded the cancelled %(object)s"),
    "order.cancelled": _("%(who)s cancelled %(object)s"),
    "order.commented": _("%(who)s commented on %(object)s"),
    "order.csr_received": _("%(who)s sent the certificate request of %(object)s"),
    "order.delivered": _("%(who)s delivered %(object)s"),
    "order.document_sent": _("%(who)s sent a document for %(object)s"),
    "order.documents_requested": _("%(who)s asked for documents for %(object)s"),
    "order.edited_by_staff": _("%(who)s corrected %(object)s"),
    "order.invitation_sent": _("%(who)s invited the holder to make the key of %(object)s"),
    "order.options_added": _("%(who)s added options to %(object)s"),
    "order.payment_chosen": _("%(who)s chose the payment of %(object)s"),
    "order.payment_recorded": _("%(who)s recorded the payment of %(object)s"),
    "order.status_changed": _("%(object)s changed status"),
    "order.submitted": _("%(who)s placed %(object)s"),
    # AUTO-4 [beyond]: a brand served by an outside ACME CA.
    "order.upstream_failed": _(
        "The outside certification authority did not issue the certificate of %(object)s"
    ),
    "order.upstream_issued": _("The outside certification authority issued the certificate of %(object)s"),
    "order.upstream_requested": _(
        "%(who)s ordered the certificate of %(object)s from the outside certification authority"
    ),
    "order_link.created": _("%(who)s created %(object)s"),
    "order_link.enabled": _("%(who)s switched %(object)s on or off"),
    "order_link.used": _("%(object)s was used to place an order"),
    "organisation.created": _("%(who)s created %(object)s"),
    "passkey.added": _("%(who)s added a passkey"),
    "passkey.removed": _("%(who)s removed a passkey"),
    "passkey.renamed": _("%(who)s renamed a passkey"),
    "promo_code.cancelled": _("%(who)s cancelled %(object)s"),
    "promo_code.expired": _("%(object)s expired"),
    "promo_code.issued": _("%(who)s issued %(object)s"),
    "promo_code.used": _("%(who)s used %(object)s"),
    "quote.accepted": _("%(who)s accepted %(object)s"),
    "rebate.computed": _("%(who)s computed %(object)s"),
    "rebate.lapsed": _("%(object)s lapsed"),
    "rebate.recovered": _("%(who)s recovered %(object)s"),
    "upstream.created": _("%(who)s set up %(object)s"),
    "upstream.saved": _("%(who)s changed %(object)s"),
    "user.created": _("%(who)s created %(object)s"),
    "user.deleted": _("%(who)s removed %(object)s"),
    "user.email_changed": _("%(who)s changed the email address of %(object)s"),
    "user.profile_changed": _("%(who)s changed the profile of %(object)s"),
    "user.purposes_changed": _("%(who)s changed the email purposes of %(object)s"),
    "user.reactivated": _("%(who)s reactivated %(object)s"),
    "user.rights_changed": _("%(who)s changed the rights of %(object)s"),
    "user.suspended": _("%(who)s suspended %(object)s"),
}

# Labels of the details' keys; a key without one reads as its words ("email_address" → "Email address").
DETAIL_LABELS: dict[str, Promise] = {
    "from": pgettext_lazy("change", "From"),
    "to": pgettext_lazy("change", "To"),
    "status": _("Status"),
    "domain": _("Domain"),
    "domains": _("Domains"),
    "method": _("Method"),
    "email_address": _("Email address"),
    "reason": _("Reason"),
    "serial": _("Serial number"),
    "product": _("Product"),
    "months": _("Months"),
    "price_excl_vat": _("Price excl. VAT"),
    "total_excl_vat": _("Total excl. VAT"),
    "amount": _("Amount"),
    "reference": _("Reference"),
    "common_name": _("Common name"),
    "sans": _("Additional names"),
    "note": _("Note"),
    "rights": _("Rights"),
    "document": _("Document"),
    "coupon": _("Coupon"),
    "promo_code": _("Promo code"),
    "paid": pgettext_lazy("yes/no", "Paid"),
    "quote": _("Quote"),
    "origin": _("Origin"),
    "source_order": _("From order"),
    "fingerprint": _("SHA-256 fingerprint"),
    "issuer": _("Issuer"),
    "not_after": _("Valid until"),
    "validated_at": _("Validated"),
    "quantity": _("Quantity"),
    "tokens": _("Tokens"),
    # AUTO-4 [beyond]: the issuance at a brand's outside ACME CA and its settings.
    "attempt": _("Attempt"),
    "previous_error": _("Previous failure"),
    "directory_url": _("ACME directory URL"),
    "eab_key_id": _("EAB key identifier"),
    "eab_hmac": _("EAB HMAC key"),
}


# Details that are sums of money when they are written with cents ("40.00"); a count of tokens under
# the same key ("threshold": "2") stays a number.
AMOUNT_KEYS = frozenset(
    {
        "amount",
        "amount_due",
        "amount_excl_vat",
        "available",
        "balance",
        "coupon_amount",
        "discount",
        "indemnity",
        "penalties",
        "price",
        "price_excl_vat",
        "remainder_amount",
        "remaining",
        "requested",
        "threshold",
        "total",
        "total_excl_vat",
        "total_incl_vat",
    }
)
_CENTS = re.compile(r"^-?\d+\.\d{2}$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

# Codes of the details as people read them: (action, key) → {code: label}. The ground floor knows
# its own (rights, formulas); the apps above register theirs when they start (their AppConfig.ready:
# order statuses, payment methods, DCV methods, reasons...), since accounts imports no app.
_VALUE_LABELS: dict[tuple[str, str], dict[str, Any]] = {}


def register_detail_values(
    key: str, labels: type[Choices] | Mapping[str, Any], *, actions: Iterable[str] = ("*",)
) -> None:
    """Show the codes of detail `key` as `labels` (a TextChoices class or {code: label}), for the
    given action codes ("*": any action without its own labels for that key)."""
    mapping = dict(labels.choices) if isinstance(labels, type) else dict(labels)
    for action in actions:
        _VALUE_LABELS[(action, key)] = mapping


def _labels_for(action: str, key: str) -> dict[str, Any] | None:
    return (
        _VALUE_LABELS.get((action, key))
        or _VALUE_LABELS.get((action.split(".")[0] + ".*", key))
        or (_VALUE_LABELS.get(("*", key)))
    )


def object_text(object_type: str, object_id: str) -> str:
    """ "order CPMQK3R5B8"; an unknown kind of object shows its identifier alone."""
    if not object_type:
        return ""
    name = OBJECTS.get(object_type)
    return str(name) % {"id": object_id} if name is not None else object_id


def sentence(action: str, who: str, object_type: str, object_id: str) -> str:
    """The event as one sentence in the active language."""
    who = who if who != "system" else gettext("The portal")
    what = object_text(object_type, object_id)
    template = SENTENCES.get(action)
    if template is None:
        base = gettext("%(who)s: %(action)s") % {"who": who, "action": action}
        return f"{base} ({what})" if what else base
    text = str(template) % {"who": who, "object": what or gettext("the account")}
    return text[:1].upper() + text[1:]


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def detail_value(value: Any, *, key: str = "", action: str = "") -> str:
    """A detail as text in the active language: a code as its label (status, payment method,
    right...), an amount with its currency ("1 234,50 €"), an ISO date as the language writes it,
    lists joined, yes/no for booleans, nested fields as "label: value"."""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(item, key=key, action=action) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            gettext("%(label)s: %(value)s")
            % {"label": detail_label(k), "value": detail_value(v, key=k, action=action)}
            for k, v in value.items()
        )
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        labels = _labels_for(action, key) if key else None
        if labels is not None and value in labels:
            return str(labels[value])
        if key in AMOUNT_KEYS and _CENTS.match(value):
            return f"{amount_text(Decimal(value))}\u00a0€"  # as billing's `money` filter writes it
        if _ISO_DAY.match(value):
            try:
                return date_text(date.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_MOMENT.match(value):
            try:
                return datetime_text(datetime.fromisoformat(value.replace(" UTC", "+00:00")))
            except ValueError:
                return value
    return str(value)


def detail_fields(details: dict | None, action: str = "") -> list[tuple[str, str]]:
    """The details as (label, value) pairs in the active language, in a stable order; `action`
    picks the labels of its codes (the "from" of a status change is a status)."""
    return [
        (detail_label(key), detail_value(value, key=key, action=action))
        for key, value in sorted((details or {}).items())
    ]


def _register_own() -> None:  # called by AccountsConfig.ready
    """The codes the ground floor itself writes into details."""
    from accounts.models import Account, Right

    rights = {**dict(Right.choices), **{f"right_{code}": label for code, label in Right.choices}}
    for action in ("user.rights_changed", "user.created", "api_user.created"):
        for key in ("rights", "before", "after"):
            register_detail_values(key, rights, actions=[action])
    register_detail_values("formula", Account.Formula)
    from accounts.models import PROCESSING_PURPOSES

    for key in ("before", "after"):
        register_detail_values(key, PROCESSING_PURPOSES, actions=["user.purposes_changed"])
    # How a person proved who they are (allauth's methods, the second factors, ACC-7's certificate).
    ways = {
        "password": _("password"),
        "mfa": _("second factor"),
        "second_factor": _("second factor"),
        "totp": _("authenticator app"),
        "backup": _("backup code"),
        "webauthn": _("security key"),
        "passkey": _("passkey"),
        "passkey_locked": _("passkey (locked)"),
        "certificate": _("client certificate"),
        "locked": _("locked name"),
    }
    for key in ("methods", "method", "step", "type"):
        register_detail_values(key, ways, actions=["login.*", "2fa.*"])
    register_detail_values("kind", Account.Kind, actions=["account.registered"])
    register_detail_values("auth_type", Account.AuthType, actions=["account.registered"])
