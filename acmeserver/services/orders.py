"""ACME orders (RFC 8555 7.4-7.6, AUTO-2): each finalized ACME order is a real portal order.

newOrder checks the names as the order form does (`clean_common_name`, `clean_sans`) and that the
endpoint may order now (product, contract, payment); each name gets an authorization with an
http-01 (not for a wildcard, BR 3.2.2.4.18) and a dns-01 challenge, checked by the portal's DCV
code (`orders.services.dcv.check_acme_challenge`: the DCV settings, then CAA). A validation of the
account still in the BR 4.2.1 reuse period (an order's DCV or an ACME challenge) makes the
authorization valid at once (ORD-8 reuse).

finalize parses the CSR with the order form's `parse_csr` (weak keys → badCSR), places the portal
order through `submit_order` (reference "ACME-…", billed by the formula's own payment, approval
mode honoured), hands it the ACME validations, and issues when it may. While the portal order is
not issuable (awaiting approval) the ACME order stays "processing" and each poll tries again.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from orders.ca import bundles
from orders.ca import certificate_chain as stored_chain
from orders.ca.policy import dcv_reuse_days
from orders.csr import CsrError, parse_csr
from orders.dcv import dcv_domains, validation_domain
from orders.forms.names import clean_common_name, clean_sans
from orders.models import (
    CLOSED,
    DELIVERED,
    ISSUABLE,
    Certificate,
    DcvCheck,
    DcvMethod,
    Order,
    OrderOrigin,
    new_reference,
)
from orders.services.dcv import check_acme_challenge, record_acme_validations
from orders.services.domain_registry import locked_refusal
from orders.services.lifecycle import IllegalTransition
from orders.services.ordering import OrderError, submit_order
from orders.services.payment import PaymentError, plan_payment
from orders.services.pricing import PricingError, order_price
from orders.services.upstream import issue_or_queue

from ..models import AcmeAccount, AcmeAuthorization, AcmeChallenge, AcmeOrder, AcmeStatus
from .accounts import thumbprint_of
from .ari import certificate_for
from .endpoints import ordering_refusal, payment_method
from .problems import AcmeProblem

St = AcmeStatus
C = AcmeChallenge.Type
ORDER_LIFETIME = timedelta(days=7)
MAX_IDENTIFIERS = 100


def key_authorization(challenge: AcmeChallenge, account: AcmeAccount) -> str:
    """RFC 8555 8.1: token "." base64url(JWK thumbprint of the account key)."""
    return f"{challenge.token}.{thumbprint_of(account.jwk)}"


def _names(payload: dict[str, Any]) -> list[str]:
    identifiers = payload.get("identifiers")
    if not isinstance(identifiers, list) or not identifiers or len(identifiers) > MAX_IDENTIFIERS:
        raise AcmeProblem(
            "malformed", _("“identifiers” must list between 1 and %(max)s names.") % {"max": MAX_IDENTIFIERS}
        )
    names: list[str] = []
    for identifier in identifiers:
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            raise AcmeProblem("malformed", _("Each identifier needs a “type” and a “value”."))
        if identifier.get("type") != "dns":
            raise AcmeProblem("unsupportedIdentifier", _("Only “dns” identifiers are accepted."))
        name = identifier["value"].strip().rstrip(".").lower()
        if name not in names:
            names.append(name)
    return names


def _checked_names(acme_account: AcmeAccount, names: list[str]) -> tuple[str, list[str]]:
    """The order form's own name rules for the endpoint's product (wildcards, SAN count...)."""
    product = acme_account.endpoint.product
    try:
        common = clean_common_name(names[0], product)
        sans = clean_sans(" ".join(names[1:]), product) if names[1:] else []
    except forms.ValidationError as error:
        raise AcmeProblem("rejectedIdentifier", " ".join(error.messages)) from None
    return common, sans


def _reusable(
    acme_account: AcmeAccount, domain: str, wildcard: bool, now: datetime
) -> tuple[str, datetime, str] | None:
    """ORD-8 / BR 4.2.1: the account's latest validation of `domain` still in the reuse period —
    a portal DCV or an ACME challenge (for a wildcard, DNS-based only: BR 3.2.2.4.18/19)."""
    since = now - timedelta(days=dcv_reuse_days(now))
    checks = DcvCheck.objects.filter(
        account_id=acme_account.account_id, domain=domain, validated_at__gte=since
    ).order_by("-validated_at")
    if wildcard:
        checks = checks.filter(method=DcvMethod.DNS)
    check = checks.first()
    if check is not None and check.validated_at is not None:
        return check.method, check.validated_at, check.last_result
    challenges = AcmeChallenge.objects.filter(
        account_id=acme_account.account_id,
        authorization__acme_order__acme_account__endpoint_id=acme_account.endpoint_id,
        authorization__value=domain,
        status=St.VALID,
        validated_at__gte=since,
    ).order_by("-validated_at")
    if wildcard:
        challenges = challenges.filter(type=C.DNS_01)
    challenge = challenges.first()
    if challenge is not None and challenge.validated_at is not None:
        method = DcvMethod.DNS if challenge.type == C.DNS_01 else DcvMethod.HTTP
        return method, challenge.validated_at, challenge.seen
    return None


def new_order(
    acme_account: AcmeAccount, payload: dict[str, Any], *, now: datetime | None = None
) -> AcmeOrder:
    """RFC 8555 7.4: an order for the names, with its authorizations and their challenges."""
    now = now or timezone.now()
    endpoint = acme_account.endpoint
    names = _names(payload)
    common, sans = _checked_names(acme_account, names)
    refused = ordering_refusal(
        endpoint.account, endpoint.product, endpoint.period_months, endpoint.organisation
    )
    if refused:
        raise AcmeProblem("unauthorized", refused, 403)
    locked = locked_refusal(endpoint.account_id, names)
    if locked:  # AUTO-3: RFC 8555 7.4, an identifier the server will not issue for
        raise AcmeProblem("rejectedIdentifier", locked)
    replaces = payload.get("replaces") or ""
    if replaces and (not isinstance(replaces, str) or certificate_for(endpoint, replaces) is None):
        raise AcmeProblem("malformed", _("“replaces” does not name a certificate of this account."))
    with transaction.atomic():
        order = AcmeOrder.objects.create(
            account_id=acme_account.account_id,
            acme_account=acme_account,
            identifiers=[common, *sans],
            expires_at=now + ORDER_LIFETIME,
            replaces=replaces,
        )
        for name in [common, *sans]:
            wildcard = name.startswith("*.")
            domain = validation_domain(name)
            authorization = AcmeAuthorization.objects.create(
                account_id=acme_account.account_id,
                acme_order=order,
                value=domain,
                wildcard=wildcard,
                expires_at=now + ORDER_LIFETIME,
            )
            kinds = [C.DNS_01] if wildcard else [C.HTTP_01, C.DNS_01]
            for kind in kinds:
                AcmeChallenge.objects.create(
                    account_id=acme_account.account_id, authorization=authorization, type=kind
                )
            reused = _reusable(acme_account, domain, wildcard, now)
            if reused is not None:
                method, validated_at, seen = reused
                kind = C.DNS_01 if method == DcvMethod.DNS else C.HTTP_01
                authorization.challenges.filter(type=kind).update(
                    status=St.VALID, validated_at=validated_at, seen=seen
                )
                authorization.status = St.VALID
                authorization.save(update_fields=["status"])
    return refresh(order)


def refresh(order: AcmeOrder) -> AcmeOrder:
    """The order's status from its authorizations while it has no portal order (RFC 8555 7.1.6)."""
    if order.order_id is not None or order.status in (St.INVALID, St.VALID):
        return order
    statuses = set(order.authorizations.values_list("status", flat=True))
    status = St.PENDING
    if St.INVALID in statuses:
        status = St.INVALID
    elif statuses == {St.VALID}:
        status = St.READY
    if timezone.now() >= order.expires_at and status != St.READY:
        status = St.INVALID
    if status != order.status:
        order.status = status
        order.save(update_fields=["status"])
    return order


def _problem_for(seen: str, kind: str) -> dict[str, Any]:
    lowered = seen.lower()
    if "caa" in lowered and ("not authori" in lowered or "forbid" in lowered or "does not" in lowered):
        code = "caa"
    elif kind == C.DNS_01:
        code = "dns" if "error" in lowered or "timeout" in lowered else "incorrectResponse"
    elif "does not resolve" in lowered:
        code = "dns"
    elif ": 200" in seen:
        code = "incorrectResponse"
    else:
        code = "connection"
    return {"type": "urn:ietf:params:acme:error:" + code, "detail": seen, "status": 403}


def respond(challenge: AcmeChallenge) -> AcmeChallenge:
    """RFC 8555 7.5.1: the client says the challenge is ready; the portal checks it now (the
    check is short and bounded by the DCV timeouts) and the authorization follows."""
    authorization = challenge.authorization
    order = authorization.acme_order
    acme_account = order.acme_account
    if challenge.status != St.PENDING or authorization.status != St.PENDING:
        return challenge
    if timezone.now() >= authorization.expires_at:
        raise AcmeProblem("malformed", _("This authorization has expired."), 403)
    names = [n for n in order.identifiers if validation_domain(n) == authorization.value]
    outcome = check_acme_challenge(
        acme_account.endpoint.product,
        names,
        authorization.value,
        challenge.type,
        challenge.token,
        key_authorization(challenge, acme_account),
    )
    now = timezone.now()
    with transaction.atomic():
        locked = AcmeChallenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status != St.PENDING:
            return locked
        locked.seen = outcome.seen
        if outcome.passed:
            locked.status, locked.validated_at = St.VALID, now
            authorization.status = St.VALID
        else:
            locked.status, locked.error = St.INVALID, _problem_for(outcome.seen, challenge.type)
            authorization.status = St.INVALID
        locked.save(update_fields=["seen", "status", "validated_at", "error"])
        authorization.save(update_fields=["status"])
        log_action(
            "acme.challenge_validated" if outcome.passed else "acme.challenge_failed",
            obj=acme_account.endpoint,
            actor_name="ACME",
            domain=authorization.value,
            challenge=challenge.type,
            seen=outcome.seen,
        )
    refresh(order)
    return locked


def _csr_pem(payload: dict[str, Any]) -> str:
    raw = payload.get("csr")
    if not isinstance(raw, str):
        raise AcmeProblem("malformed", _("“csr” is missing."))
    try:
        der = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        csr = x509.load_der_x509_csr(der)
    except ValueError:
        raise AcmeProblem("badCSR", _("The CSR cannot be read (base64url DER expected).")) from None
    return csr.public_bytes(Encoding.PEM).decode()


def finalize(order: AcmeOrder, payload: dict[str, Any]) -> AcmeOrder:
    """RFC 8555 7.4: the CSR for a ready order becomes a portal order, then issuance is tried."""
    refresh(order)
    if order.status != St.READY:
        raise AcmeProblem(
            "orderNotReady", _("The order is “%(status)s”, not “ready”.") % {"status": order.status}, 403
        )
    pem = _csr_pem(payload)
    try:
        info = parse_csr(pem)  # the order form's checks: signature, key strength, Debian keys...
    except CsrError as error:
        raise AcmeProblem("badCSR", str(error.message)) from None
    in_csr = {n.lower() for n in info.sans} | ({info.common_name.lower()} if info.common_name else set())
    if in_csr != set(order.identifiers):
        raise AcmeProblem(
            "badCSR",
            _("The CSR must name exactly the identifiers of the order: %(names)s.")
            % {"names": ", ".join(order.identifiers)},
        )
    endpoint = order.acme_account.endpoint
    account = endpoint.account
    refused = ordering_refusal(account, endpoint.product, endpoint.period_months, endpoint.organisation)
    method = payment_method(account, endpoint.product, endpoint.period_months)
    if refused or method is None:
        raise AcmeProblem("unauthorized", refused or _("The account cannot pay this order now."), 403)
    common, sans = order.identifiers[0], order.identifiers[1:]
    try:
        total = order_price(endpoint.product, endpoint.period_months, common, sans, {})
        plan = plan_payment(account, endpoint.product, endpoint.period_months, total, method=method)
    except (PricingError, PaymentError) as error:
        raise AcmeProblem("unauthorized", str(getattr(error, "message", error)), 403) from None
    validations = _validations(order)
    # RFC 9773 5: an order that "replaces" a certificate is its renewal (ORD-12 origin and source).
    replaced = certificate_for(endpoint, order.replaces) if order.replaces else None
    with transaction.atomic():
        locked = AcmeOrder.objects.select_for_update().get(pk=order.pk)
        if locked.order_id is not None:
            return advance(locked)
        try:
            placed = submit_order(
                account=account,
                user=endpoint.created_by,
                product=endpoint.product,
                period_months=endpoint.period_months,
                organisation=endpoint.organisation,
                admin_contact=endpoint.admin_contact,
                technical_contact=endpoint.technical_contact,
                common_name=common,
                sans=sans,
                csr=pem,
                dcv_method=next(iter(validations.values()))[0] if validations else "",
                customer_reference=endpoint.name[:60],
                payment=plan,
                reference=new_reference("ACME-"),
                automated=True,
                origin=OrderOrigin.RENEWAL if replaced is not None else OrderOrigin.ORDERED,
                source_order=replaced.order if replaced is not None else None,
                options={"acme_endpoint": endpoint.public_id, "acme_order": locked.public_id},
            )
        except OrderError as error:
            raise AcmeProblem("unauthorized", str(error), 403) from None
        locked.order, locked.status = placed, St.PROCESSING
        locked.save(update_fields=["order", "status"])
    record_acme_validations(placed, validations)
    return advance(locked)


def _validations(order: AcmeOrder) -> dict[str, tuple[str, datetime, str]]:
    found: dict[str, tuple[str, datetime, str]] = {}
    for challenge in AcmeChallenge.objects.filter(
        authorization__acme_order=order, status=St.VALID
    ).select_related("authorization"):
        if challenge.validated_at is not None:
            method = DcvMethod.DNS if challenge.type == C.DNS_01 else DcvMethod.HTTP
            found[challenge.authorization.value] = (method, challenge.validated_at, challenge.seen)
    for domain in dcv_domains(order.identifiers):
        found.setdefault(domain, (DcvMethod.DNS, timezone.now(), ""))  # not reached: ready means all valid
    return found


def latest_certificate(order: Order) -> Certificate | None:
    return Certificate.objects.filter(order=order).order_by("-created_at", "-pk").first()


def advance(order: AcmeOrder) -> AcmeOrder:
    """A processing ACME order: issue once its portal order is issuable (paid, approved, DCV
    complete); valid once a certificate exists; invalid once the portal order is cancelled."""
    if order.order_id is None or order.status in (St.VALID, St.INVALID):
        return refresh(order)
    portal = Order.objects.get(pk=order.order_id)
    if latest_certificate(portal) is None and portal.status in ISSUABLE:
        try:
            # A brand served by an outside CA issues in a task (AUTO-4 [beyond]): the client polls.
            issue_or_queue(portal, user=None, retry_failed=False)
        except IllegalTransition as error:
            message = getattr(error, "message", "") or str(error)
            if "CAA" in message or error.__class__.__name__ == "CaaRefused":
                _fail(order, "caa", message)
        portal.refresh_from_db()
    if latest_certificate(portal) is not None:
        order.status = St.VALID
        order.save(update_fields=["status"])
    elif portal.status in CLOSED and portal.status not in DELIVERED:
        _fail(
            order, "unauthorized", _("Order %(reference)s was cancelled.") % {"reference": portal.reference}
        )
    return order


def _fail(order: AcmeOrder, kind: str, detail: str) -> None:
    order.status = St.INVALID
    order.error = {"type": "urn:ietf:params:acme:error:" + kind, "detail": detail, "status": 403}
    order.save(update_fields=["status", "error"])


def certificate_chain(order: AcmeOrder) -> str:
    """RFC 8555 7.4.2: the certificate then its chain (PEM), as the portal's full chain download."""
    if order.order_id is None:
        raise AcmeProblem("malformed", _("No certificate yet."), 404)
    portal = Order.objects.select_related("product__brand").get(pk=order.order_id)
    certificate = latest_certificate(portal)
    if certificate is None:
        raise AcmeProblem("malformed", _("No certificate yet."), 404)
    leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
    chain = stored_chain(certificate)
    return bundles.chain_pem(leaf, chain)
