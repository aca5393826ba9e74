"""Domain control validation of server orders (ORD-8, LIFE-9, CA/B BR 3.2.2.4, 4.2.1, 3.2.2.8).

One DcvCheck per domain of a server order (CN and SANs, "*.example.com" validated as
"example.com"), with its own random value and method. The portal checks DNS and HTTP itself
(`run_check`), the approved address confirms an email from its link (`confirm_email`), and staff
may attest a validation they made (`validate_dcv_manually`). A check passes only if the CAA
records of its names authorise the brand's CA at that moment; at issuance CAA is read again for
checks older than 8 hours (BR 3.2.2.8).

A completed validation counts at issuance only if younger than `dcv_reuse_days(issue date)` (BR
4.2.1, ballot SC-081) and is reused by the account's other orders for the same domain within that
period. Status: a paid order under verification waits in "awaiting DCV" while a domain is pending
and comes back once all pass (`refresh_order_dcv_state`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.formatting import date_text
from accounts.mail import send_mail_on_commit
from accounts.models import User
from catalog.models import Product

from .. import dcv as checks
from ..ca.policy import dcv_reuse_days
from ..models import IN_PROGRESS, ISSUABLE, DcvCheck, DcvMethod, Domain, Order, OrderStatus
from .dcv_config import dcv_config, resolver
from .names import registered_domain
from .transitions import IllegalTransition, lock_order, move

S = OrderStatus
M = DcvMethod


class DcvError(Exception):
    """ORD-8: a DCV action refused, with the message to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class DcvPending(IllegalTransition):
    """The certificate cannot be issued: a domain of the order lacks a passed validation."""


class CaaRefused(IllegalTransition):
    """The certificate cannot be issued: a CAA record does not authorise the brand's CA (RFC 8659)."""


def requires_dcv(order: Order) -> bool:
    """ORD-8: server certificates only (no DCV for client, code signing, signature products...)."""
    return order.product.is_server


def methods_for(order: Order, now: datetime | None = None) -> list[str]:
    return checks.offered_methods(order.product.brand, now or timezone.now())


def is_passed(check: DcvCheck, at: datetime) -> bool:
    """LIFE-9 / BR 4.2.1: validated, and not longer ago than the reuse period of a certificate issued
    at `at`. A validation made after `at` (a backdated issuance in the demo) counts too."""
    return check.validated_at is not None and check.validated_at >= at - timedelta(days=dcv_reuse_days(at))


def order_of(check: DcvCheck) -> Order:
    """The order of an order's check; a check started from the domain page (AUTO-3) has none and
    cannot take the order's actions (email confirmation, staff attestation)."""
    if check.order is None:
        raise DcvError(_("This validation was started from the domain page, not for an order."))
    return check.order


def _audited(check: DcvCheck) -> models.Model:
    """What a check's audit events are about: its order, or the domain's row (AUTO-3)."""
    if check.order is not None:
        return check.order
    return Domain.objects.get(account_id=check.account_id, name=check.domain)


def _changeable(order: Order) -> None:
    """ORD-8: the method may change until the certificate is issued."""
    if order.status not in IN_PROGRESS:
        raise DcvError(
            _("Domain validation can no longer change: order %(reference)s is “%(status)s”.")
            % {"reference": order.reference, "status": S(order.status).label}
        )


def email_addresses(domain: str) -> list[str]:
    """BR 3.2.2.4.4 addresses of the base domain (the Authorization Domain Name may be the name pruned
    to its registrable part, BR 1.6.1): www.example.com and shop.example.com are confirmed from the
    same mailbox, with one email (`send_dcv_emails`)."""
    return checks.approved_addresses(registered_domain(domain))


def new_check(
    account_id: int, order: Order | None, domain: str, method: str, now: datetime, email_address: str = ""
) -> DcvCheck:
    """A check with a fresh random value (BR 1.6.1), for an order or, without one, for the domain
    page (AUTO-3)."""
    if method == M.EMAIL and not email_address:
        email_address = email_addresses(domain)[0]
    return DcvCheck.objects.create(
        account_id=account_id,
        order=order,
        domain=domain,
        method=method,
        token=checks.new_random_value(),
        email_address=email_address if method == M.EMAIL else "",
        created_at=now,
        expires_at=now + checks.RANDOM_VALUE_LIFETIME,
    )


def _reusable(order: Order, domains: list[str], now: datetime) -> dict[str, DcvCheck]:
    """BR 4.2.1: per domain, the account's latest validation still within the reuse period (one query)."""
    window = timedelta(days=dcv_reuse_days(now))
    found: dict[str, DcvCheck] = {}
    for check in (
        DcvCheck.objects.filter(
            account_id=order.account_id, domain__in=domains, validated_at__gte=now - window
        )
        .exclude(order=order)
        .select_related("order")
        .order_by("domain", "-validated_at")
    ):
        found.setdefault(check.domain, check)
    return found


def source_label(source: DcvCheck) -> str:
    """Where a reused validation was made: its order's reference, or the domain page (AUTO-3)."""
    return source.order.reference if source.order is not None else _("domain page")


def _adopt(check: DcvCheck, source: DcvCheck, now: datetime) -> datetime:
    """Copy `source`'s passed validation onto `check`; returns the date of that validation.

    A validation made on the domain page read no brand's CAA: the adopted check keeps no
    "last checked" date, so `prepare_issuance` reads CAA for the order's brand (BR 3.2.2.8)."""
    validated_at = source.validated_at
    assert validated_at is not None  # reusable checks are validated ones
    until = validated_at + timedelta(days=dcv_reuse_days(now))
    check.method, check.email_address = source.method, source.email_address
    check.validated_at = source.validated_at
    check.last_checked_at = source.last_checked_at if source.order is not None else None
    if source.order is not None:
        check.last_result = _(
            "Validation of %(date)s reused from order %(reference)s (usable until %(until)s, CA/B BR 4.2.1)."
        ) % {
            "date": date_text(validated_at),
            "reference": source.order.reference,
            "until": date_text(until),
        }
    else:
        check.last_result = _(
            "Validation of %(date)s made on the domain page reused (usable until %(until)s, CA/B BR 4.2.1)."
        ) % {"date": date_text(validated_at), "until": date_text(until)}
    check.save(update_fields=["method", "email_address", "validated_at", "last_checked_at", "last_result"])
    return validated_at


def start_dcv(
    order: Order, *, user: User | None = None, request: HttpRequest | None = None, now: datetime | None = None
) -> list[DcvCheck]:
    """ORD-8: the checks of a server order (`_ensure_checks`), then its status follows them: a paid
    order under verification waits in "awaiting DCV" while a domain is pending. Idempotent; the
    ordering code calls it when an order is submitted, the DCV page and issuance when checks are
    missing. Returns the checks in the order of the names."""
    result = _ensure_checks(order, user=user, request=request, now=now, notify=True)
    if result:
        refresh_order_dcv_state(order, user=user, request=request, now=now)
    return result


def _ensure_checks(
    order: Order, *, user: User | None, request: HttpRequest | None, now: datetime | None, notify: bool
) -> list[DcvCheck]:
    """ORD-8: make sure every domain of a server order in progress has its check.

    Missing checks get a fresh random value and the order's method (or the brand's first); a
    validation of the same domain on the account within the reuse period is reused; a validation
    grown too old is replaced by a new random value. Email checks send their email (unless not
    `notify`: staff about to validate by hand). Audited as "dcv.started" when checks are created.
    """
    if not requires_dcv(order):
        return []
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_order(order)  # two first views of the page must not create the checks twice
        existing = {c.domain: c for c in DcvCheck.objects.filter(order=locked)}
        if locked.status not in IN_PROGRESS:
            return [existing[d] for d in checks.dcv_domains(locked.all_names) if d in existing]
        methods = methods_for(locked, now)
        default = locked.dcv_method if locked.dcv_method in methods else methods[0]
        created, result, to_email = [], [], []
        domains = checks.dcv_domains(locked.all_names)
        pending = [d for d in domains if d not in existing or not is_passed(existing[d], now)]
        reusable = _reusable(locked, pending, now) if pending else {}
        for domain in domains:
            check, method, renewed = existing.get(domain), default, False
            if check is not None and check.validated_at and not is_passed(check, now):
                check.delete()  # too old to count at issuance: a new random value is needed
                method = check.method if check.method in methods else default
                check, renewed = None, True
            if check is None or check.validated_at is None:
                source = reusable.get(domain)
                if source is not None:
                    check = check or new_check(locked.account_id, locked, domain, source.method, now)
                    validated_at = _adopt(check, source, now)
                    log_action(
                        "dcv.reused",
                        obj=locked,
                        user=user,
                        request=request,
                        domain=domain,
                        source=source_label(source),
                        validated_at=validated_at.isoformat(),
                    )
            if check is None:
                check = new_check(locked.account_id, locked, domain, method, now)
                if renewed:
                    check.last_result = _(
                        "The previous validation is older than the %(days)s days allowed at "
                        "issuance: validate again."
                    ) % {"days": dcv_reuse_days(now)}
                    check.save(update_fields=["last_result"])
                    log_action("dcv.renewed", obj=locked, user=user, request=request, domain=domain)
                else:
                    created.append(check)
                if notify and check.method == M.EMAIL:
                    to_email.append(check)
            result.append(check)
        send_dcv_emails(to_email, locked)  # one email per approved address, not one per name
        dropped = [c for d, c in existing.items() if d not in {r.domain for r in result}]
        for check in dropped:  # a name removed from the order (staff correction) needs no validation
            check.delete()
        if created:
            log_action(
                "dcv.started",
                obj=locked,
                user=user,
                request=request,
                method=default,
                domains=[c.domain for c in created],
            )
    return result


def _names_of(order: Order, domain: str) -> list[str]:
    return [n for n in order.all_names if checks.validation_domain(n) == domain]


def _caa(order: Order, domain: str) -> tuple[bool, list[str]]:
    """RFC 8659 for every ordered name of `domain` (the wildcard one with issuewild)."""
    identifiers = checks.caa_identifiers(order.product.brand.code)
    resolver_ = resolver()
    results = [checks.caa_allows(name, identifiers, resolver=resolver_) for name in _names_of(order, domain)]
    return all(ok for ok, _detail in results), list(dict.fromkeys(detail for _ok, detail in results))


def _record(
    check: DcvCheck,
    token: str,
    passed: bool,
    seen: str,
    now: datetime,
    *,
    user: User | None,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> DcvCheck | None:
    """Save what a check saw, under the check's row lock; None if the check changed meanwhile."""
    with transaction.atomic():
        locked = DcvCheck.objects.select_for_update(of=("self",)).filter(pk=check.pk, token=token).first()
        if locked is None:
            return None  # the method changed while we looked: this answer is for a dropped value
        locked.last_checked_at, locked.last_result = now, seen
        fields = ["last_checked_at", "last_result"]
        if passed and locked.validated_at is None:
            locked.validated_at = now
            fields.append("validated_at")
            log_action(
                "dcv.validated",
                obj=_audited(locked),
                user=user,
                request=request,
                actor_name=actor_name,
                domain=locked.domain,
                method=locked.method,
                email_address=locked.email_address,
            )
        locked.save(update_fields=fields)
    if passed and locked.order is not None:
        refresh_order_dcv_state(locked.order, user=user, request=request, now=now)
    return locked


def run_check(
    check: DcvCheck, *, user: User | None, request: HttpRequest | None = None, now: datetime | None = None
) -> DcvCheck:
    """ORD-8 "check now": look for the DNS record or the HTTP file, then CAA; save what was seen.

    Refused for an email check (its recipient confirms from the link) and for a validated one.
    An expired random value is not looked for (BR: usable 30 days); the page offers a new one.
    """
    now = now or timezone.now()
    order = check.order
    if order is not None:  # a domain page's check (AUTO-3) belongs to no order
        _changeable(order)
    if is_passed(check, now):
        raise DcvError(_("%(domain)s is already validated.") % {"domain": check.domain})
    if check.method == M.EMAIL:
        raise DcvError(
            _(
                "%(domain)s is validated when the recipient of the email sent to %(address)s confirms "
                "from its link."
            )
            % {"domain": check.domain, "address": check.email_address}
        )
    if check.expires_at <= now:
        seen = _("The random value expired on %(date)s: ask for a new one.") % {
            "date": date_text(check.expires_at)
        }
        return _record(check, check.token, False, seen, now, user=user, request=request) or check
    config = dcv_config()
    resolver_ = checks.make_resolver(config.dns_servers, config.dns_timeout)
    if check.method == M.DNS:
        outcome = checks.check_dns(
            check.domain, check.token, resolver=resolver_, cname_zone=config.cname_zone
        )
    else:
        outcome = checks.check_http(
            check.domain,
            check.token,
            port=config.http_port,
            timeout=config.http_timeout,
            resolve=lambda domain: checks.resolve_address(domain, resolver_ if config.dns_servers else None),
            allow_private=config.allow_private,
        )
    passed, seen = outcome.passed, outcome.seen
    if passed and order is not None:
        passed, details = _caa(order, check.domain)
        seen = "\n".join([seen, *details])
    elif passed:
        seen = "\n".join(
            [seen, _("CAA is read for the brand of each certificate ordered with this validation.")]
        )
    return _record(check, check.token, passed, seen, now, user=user, request=request) or check


def check_acme_challenge(
    product: Product, names: list[str], domain: str, kind: str, token: str, key_authorization: str
) -> checks.Outcome:
    """AUTO-2: an ACME challenge (RFC 8555 8.3 http-01, 8.4 dns-01) checked with the portal's DCV
    settings (resolver, HTTP port, private addresses: `dcv_config`), then CAA of `names` (RFC 8659),
    as `run_check` does for the portal's own methods. Nothing is saved here: the ACME
    authorization keeps the result and `record_acme_validations` gives it to the order."""
    config = dcv_config()
    resolver_ = checks.make_resolver(config.dns_servers, config.dns_timeout)
    if kind == "dns-01":
        outcome = checks.check_acme_dns01(domain, key_authorization, resolver=resolver_)
    else:
        outcome = checks.check_acme_http01(
            domain,
            token,
            key_authorization,
            port=config.http_port,
            timeout=config.http_timeout,
            resolve=lambda name: checks.resolve_address(name, resolver_ if config.dns_servers else None),
            allow_private=config.allow_private,
        )
    if not outcome.passed:
        return outcome
    identifiers = checks.caa_identifiers(product.brand.code)
    results = [checks.caa_allows(name, identifiers, resolver=resolver_) for name in names]
    details = list(dict.fromkeys(detail for _ok, detail in results))
    return checks.Outcome(all(ok for ok, _detail in results), "\n".join([outcome.seen, *details]))


def record_acme_validations(
    order: Order, validations: dict[str, tuple[str, datetime, str]], *, now: datetime | None = None
) -> None:
    """AUTO-2: the order's checks take the validations its ACME authorizations passed (domain →
    method, when, what was seen); audited "dcv.validated" with ACME as the actor; then the status
    follows (`refresh_order_dcv_state`)."""
    now = now or timezone.now()
    with transaction.atomic():
        for check in DcvCheck.objects.select_for_update(of=("self",)).filter(
            order=order, domain__in=list(validations)
        ):
            if is_passed(check, now):
                continue
            method, validated_at, seen = validations[check.domain]
            check.method, check.validated_at, check.last_checked_at = method, validated_at, validated_at
            check.last_result = seen
            check.save(update_fields=["method", "validated_at", "last_checked_at", "last_result"])
            log_action(
                "dcv.validated",
                obj=order,
                actor_name="ACME",
                domain=check.domain,
                method=method,
                email_address="",
            )
    refresh_order_dcv_state(order, now=now)


def find_email_check(token: str) -> DcvCheck | None:
    """The email check of a confirmation link. The link is public and its reader has no account
    here, so the lookup crosses accounts by design: the random value is the only key."""
    with scopes_disabled():
        return (
            (
                DcvCheck.objects.select_related("order__product__brand", "order__account")
                .filter(method=M.EMAIL, token=token)
                .first()
            )
            if token
            else None
        )


def confirm_email(
    check: DcvCheck, *, request: HttpRequest | None = None, now: datetime | None = None
) -> DcvCheck:
    """BR 3.2.2.4.4: the approved address confirms with the random value; then CAA is checked.

    Refused (DcvError) once the value expired or the order left processing. Audited with the
    address as the actor (the reader is not a portal user).
    """
    now = now or timezone.now()
    order = order_of(check)
    _changeable(order)
    if check.validated_at is not None:
        return check
    if check.expires_at <= now:
        raise DcvError(
            _("This link expired on %(date)s. Ask the person who ordered the certificate for a new one.")
            % {"date": date_text(check.expires_at)}
        )
    passed, details = _caa(order, check.domain)
    seen = "\n".join(
        [_("Confirmed from the link sent to %(address)s.") % {"address": check.email_address}, *details]
    )
    # The reader may be logged in to another account: the actor is the address, never that user.
    anonymous = request is not None and not request.user.is_authenticated
    # The email named every pending name of the order sent to this address: the link confirms them all.
    for sibling in _siblings(check):
        if sibling.expires_at > now:
            sibling_passed, sibling_details = _caa(order, sibling.domain)
            sibling_seen = "\n".join(
                [
                    _("Confirmed from the link sent to %(address)s.") % {"address": check.email_address},
                    *sibling_details,
                ]
            )
            _record(
                sibling,
                sibling.token,
                sibling_passed,
                sibling_seen,
                now,
                user=None,
                request=request if anonymous else None,
                actor_name=check.email_address,
            )
    return (
        _record(
            check,
            check.token,
            passed,
            seen,
            now,
            user=None,
            request=request if anonymous else None,
            actor_name=check.email_address,
        )
        or check
    )


def resend_email(
    check: DcvCheck, *, user: User, request: HttpRequest | None = None, now: datetime | None = None
) -> None:
    """ORD-8: send the DCV email again to the chosen approved address (same random value)."""
    now = now or timezone.now()
    order = order_of(check)
    _changeable(order)
    if check.method != M.EMAIL or check.validated_at is not None:
        raise DcvError(_("There is no email to send for %(domain)s.") % {"domain": check.domain})
    if check.expires_at <= now:
        raise DcvError(_("The random value expired: ask for a new one."))
    send_dcv_email(check, order)
    log_action(
        "dcv.email_sent",
        obj=order,
        user=user,
        request=request,
        domain=check.domain,
        email_address=check.email_address,
    )


def change_method(
    check: DcvCheck,
    method: str,
    *,
    email_address: str = "",
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DcvCheck:
    """ORD-8: a new method (or a new random value with the same one) for one domain, until issuance.

    The old check is dropped and a new one made with a fresh random value; the order's method
    becomes this one. A passed validation is kept (nothing to change). Audited "dcv.method_changed".
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_of(check))
        _changeable(order)
        current = DcvCheck.objects.select_for_update(of=("self",)).filter(pk=check.pk, order=order).first()
        if current is None:
            raise DcvError(_("This validation was replaced meanwhile: reload the page."))
        if is_passed(current, now):
            raise DcvError(_("%(domain)s is already validated.") % {"domain": current.domain})
        if method not in methods_for(order, now):
            raise DcvError(_("This method is not offered for this product."))
        if method == M.EMAIL and email_address not in email_addresses(current.domain):
            raise DcvError(
                _("Choose one of the approved addresses of %(domain)s.") % {"domain": current.domain}
            )
        previous = current.method
        current.delete()
        new = new_check(order.account_id, order, current.domain, method, now, email_address)
        order.dcv_method = method
        order.save(update_fields=["dcv_method"])
        # "from" is a keyword: the details go in as a dict (log_action takes any details).
        moved: dict[str, Any] = {"from": previous, "to": method, "email_address": new.email_address}
        log_action(
            "dcv.method_changed",
            obj=order,
            user=user,
            request=request,
            domain=new.domain,
            **moved,
        )
        send_dcv_emails([new], order)
    return new


def _attest(check: DcvCheck, by: User, note: str, request: HttpRequest | None, now: datetime) -> DcvCheck:
    with transaction.atomic():
        locked = DcvCheck.objects.select_for_update(of=("self",)).select_related("order").get(pk=check.pk)
        if is_passed(locked, now):
            return locked
        locked.validated_at = locked.last_checked_at = now
        locked.last_result = _("Validated by our validation team (%(name)s): %(note)s") % {
            "name": by.get_full_name() or by.username,
            "note": note,
        }
        locked.save(update_fields=["validated_at", "last_checked_at", "last_result"])
        log_action(
            "dcv.validated_manually",
            obj=_audited(locked),
            user=by,
            request=request,
            domain=locked.domain,
            method=locked.method,
            note=note,
        )
    return locked


def _attester(by: User | None, note: str) -> str:
    if by is None or not by.is_staff:
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise DcvError(_("Say how the domain was validated."))
    return note


def validate_dcv_manually(
    check: DcvCheck, *, by: User, note: str, request: HttpRequest | None = None, now: datetime | None = None
) -> DcvCheck:
    """STAFF-2: the validation team attests it validated the domain (and read its CAA) itself.

    Staff only, with a note saying how; idempotent for a passed check. Audited as a staff action
    "dcv.validated_manually"; the order's status follows (`refresh_order_dcv_state`).
    """
    note = _attester(by, note)
    now = now or timezone.now()
    locked = _attest(check, by, note, request, now)
    if locked.order is not None:
        refresh_order_dcv_state(locked.order, user=by, request=request, now=now)
    return locked


def validate_order_dcv_manually(
    order: Order, *, by: User, note: str, request: HttpRequest | None = None, now: datetime | None = None
) -> list[DcvCheck]:
    """STAFF-2: `validate_dcv_manually` for every domain of the order, the checks made if missing
    (without emailing anyone), the status refreshed once at the end."""
    note = _attester(by, note)
    now = now or timezone.now()
    attested = [
        _attest(check, by, note, request, now)
        for check in _ensure_checks(order, user=by, request=request, now=now, notify=False)
    ]
    refresh_order_dcv_state(order, user=by, request=request, now=now)
    return attested


def pending_domains(order: Order, at: datetime) -> list[str]:
    """The domains of a server order without a passed validation at `at`, in the order of the names."""
    if not requires_dcv(order):
        return []
    passed = {c.domain for c in DcvCheck.objects.filter(order=order) if is_passed(c, at)}
    return [d for d in checks.dcv_domains(order.all_names) if d not in passed]


def unvalidated_domains(order: Order, names: list[str], at: datetime) -> list[str]:
    """ORD-8, ORD-11: the domains of `names` that neither this order nor another order of the
    account (within the BR 4.2.1 reuse period) has validated: names added at a reissue must be
    validated like any ordered name."""
    domains = checks.dcv_domains(names)
    passed = {c.domain for c in DcvCheck.objects.filter(order=order, domain__in=domains) if is_passed(c, at)}
    missing = [d for d in domains if d not in passed]
    reused = _reusable(order, missing, at) if missing else {}
    return [d for d in missing if d not in reused]


def refresh_order_dcv_state(
    order: Order, *, user: User | None = None, request: HttpRequest | None = None, now: datetime | None = None
) -> Order:
    """LIFE-1: under verification → awaiting DCV while a domain is pending, and back once all pass.

    Only once the DCV started (the order has checks: `start_dcv` at submission, on the DCV page
    or at issuance). Other statuses are left alone (an unpaid order keeps "processing, awaiting
    payment").
    """
    if not requires_dcv(order):
        return order
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_order(order)
        if locked.status not in {S.UNDER_VERIFICATION, S.AWAITING_DCV}:
            return locked
        complete = not pending_domains(locked, now)
        started = DcvCheck.objects.filter(order=locked).exists()
        if locked.status == S.UNDER_VERIFICATION and started and not complete:
            move(locked, S.AWAITING_DCV, user=user, request=request, note=_("Domain validation pending"))
        elif locked.status == S.AWAITING_DCV and complete:
            move(
                locked,
                S.UNDER_VERIFICATION,
                user=user,
                request=request,
                note=_("Domain validation completed"),
            )
        return locked


def prepare_issuance(
    order: Order, *, user: User | None, request: HttpRequest | None = None, now: datetime
) -> None:
    """Before the issuance lock: checks created if missing, status refreshed, CAA read again for
    validations older than 8 hours (BR 3.2.2.8). Raises CaaRefused when CAA forbids."""
    if not requires_dcv(order) or Order.objects.filter(pk=order.pk, status__in=ISSUABLE).count() == 0:
        return
    current = start_dcv(order, user=user, request=request, now=now)
    for check in current:
        if not is_passed(check, now) or (
            check.last_checked_at and check.last_checked_at >= now - checks.CAA_VALIDITY
        ):
            continue
        allowed, details = _caa(order, check.domain)
        if not allowed:
            raise CaaRefused(
                order,
                message=_("Order %(reference)s cannot be issued: %(details)s")
                % {"reference": order.reference, "details": " ".join(details)},
            )


def assert_dcv_complete(locked: Order, now: datetime) -> None:
    """Under the issuance lock: refuse while a domain lacks a passed validation (ORD-8)."""
    pending = pending_domains(locked, now)
    if pending:
        raise DcvPending(
            locked,
            message=_(
                "Order %(reference)s cannot be issued yet: domain control validation is not complete for "
                "%(domains)s."
            )
            % {"reference": locked.reference, "domains": ", ".join(pending)},
        )


def send_dcv_emails(email_checks: list[DcvCheck], order: Order) -> None:
    """One email per approved address: the checks of the names under one base domain share the
    address (`checks.approved_addresses`), and its one link confirms them all (`confirm_email`)."""
    sent: set[str] = set()
    for check in email_checks:
        if check.validated_at is None and check.email_address not in sent:
            sent.add(check.email_address)
            send_dcv_email(check, order)


def _siblings(check: DcvCheck) -> list[DcvCheck]:
    """The order's pending email checks sent to the same address (names under one base domain)."""
    if check.order_id is None:
        return []
    return list(
        DcvCheck.objects.filter(
            order_id=check.order_id, method=M.EMAIL, email_address=check.email_address, validated_at=None
        )
        .exclude(pk=check.pk)
        .order_by("domain")
    )


def send_dcv_email(check: DcvCheck, order: Order) -> None:
    """BR 3.2.2.4.4: the random value, in a confirmation link, to the approved address, in the
    account's language; the link confirms every pending name of the order sent to that address."""
    language = order.account.language
    domains = [check.domain, *(sibling.domain for sibling in _siblings(check))]
    with translation.override(language):
        context = {
            "domain": check.email_address.partition("@")[2] or check.domain,
            "names": [name for domain in domains for name in _names_of(order, domain)],
            "reference": order.reference,
            "product": str(order.product),
            "organisation": order.organisation.name,
            "account": order.account.name,
            "address": check.email_address,
            "confirm_url": settings.SITE_URL + reverse("dcv:confirm", args=[check.token]),
            "expires": date_text(check.expires_at),
        }
    send_mail_on_commit("dcv_request", [check.email_address], context, language)
