"""The ACME server (RFC 8555, AUTO-2) under /acme/<endpoint>/: thin views over acmeserver.services.

Every response carries a fresh Replay-Nonce and the directory's Link; every error is a problem
document (application/problem+json), an unexpected one included ("serverInternal"), never an HTML
page. The views are anonymous (the JWS authenticates): each opens the tenant scope of its endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_scopes import scope, scopes_disabled

from accounts.access import PublicView, public_view

from .models import AcmeAccount, AcmeAuthorization, AcmeChallenge, AcmeEndpoint, AcmeOrder, AcmeStatus
from .protocol import render
from .protocol.jws import SignedRequest, parse
from .services import accounts as acme_accounts
from .services import ari
from .services import orders as acme_orders
from .services.encoding import load_jwk
from .services.nonces import new_nonce
from .services.problems import AcmeProblem
from .services.revocation import revoke

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def _retry_after() -> str:
    return str(getattr(settings, "ACME_RETRY_AFTER", 3))


class Context:
    """One request on one endpoint: absolute URLs, and the checked JWS of a POST."""

    def __init__(self, request: HttpRequest, endpoint: AcmeEndpoint) -> None:
        self.request, self.endpoint = request, endpoint
        self.signed: SignedRequest | None = None
        self.account: AcmeAccount | None = None

    def url(self, name: str, *args: str) -> str:
        return self.request.build_absolute_uri(reverse(f"acme:{name}", args=[self.endpoint.public_id, *args]))

    def verify(self, *, jwk_allowed: bool = False, kid_allowed: bool = True) -> SignedRequest:
        """RFC 8555 6.2: the JWS, its nonce and URL, then its signature by the account key ("kid")
        or, where allowed, by the key it carries ("jwk")."""
        signed = parse(self.request.body, self.request.build_absolute_uri())
        self.signed = signed
        if signed.jwk is not None:
            if not jwk_allowed:
                raise AcmeProblem("malformed", _("Sign this request with the account URL as “kid”."))
            signed.verify(signed.jwk)
            return signed
        if not kid_allowed:
            raise AcmeProblem("malformed", _("Sign this request with the account key as “jwk”."))
        account_id = signed.kid.rstrip("/").rsplit("/", 1)[-1]
        account = AcmeAccount.objects.filter(endpoint=self.endpoint, public_id=account_id).first()
        if account is None or signed.kid != self.url("account", account.public_id):
            raise AcmeProblem("accountDoesNotExist", _("No account has this URL on this endpoint."), 400)
        if account.status != AcmeAccount.Status.VALID:
            raise AcmeProblem("unauthorized", _("This account is deactivated."), 401)
        signed.verify(load_jwk(account.jwk))
        self.account = account
        return signed


def _respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return JsonResponse(data, status=status, headers=headers or {})


def _problem(problem: AcmeProblem) -> HttpResponse:
    return JsonResponse(
        problem.document(), status=problem.status, content_type=PROBLEM, headers=problem.headers
    )


def acme_view(view: Callable[..., HttpResponse]) -> PublicView:
    """The endpoint (404 problem when unknown, 403 when disabled or revoked), its scope, the
    common headers, and problem documents for every error."""

    @wraps(view)
    def wrapper(request: HttpRequest, endpoint_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        with scopes_disabled():
            endpoint = (
                AcmeEndpoint.objects.select_related("account", "product__brand")
                .filter(public_id=endpoint_id)
                .first()
            )
        directory = request.build_absolute_uri(reverse("acme:directory", args=[endpoint_id]))
        try:
            if endpoint is None:
                raise AcmeProblem("malformed", _("No ACME endpoint at this address."), 404)
            with scope(account=endpoint.account):
                if not endpoint.usable:
                    raise AcmeProblem("unauthorized", _("This ACME endpoint is disabled or revoked."), 403)
                response = view(request, Context(request, endpoint), *args, **kwargs)
        except AcmeProblem as problem:
            response = _problem(problem)
        except Exception:  # never an HTML 500 page for an ACME client
            logger.exception("ACME request failed: %s", request.path)
            response = _problem(AcmeProblem("serverInternal", _("The server failed; try again later."), 500))
        response["Replay-Nonce"] = new_nonce()
        response["Cache-Control"] = "no-store"
        link = f'<{directory}>;rel="index"'
        response["Link"] = f"{response['Link']}, {link}" if response.has_header("Link") else link
        return response

    return public_view(csrf_exempt(wrapper))


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise AcmeProblem("malformed", _("Use POST (or POST-as-GET) for this resource."), 405)


@acme_view
def directory(request: HttpRequest, ctx: Context) -> HttpResponse:
    """RFC 8555 7.1.1; "externalAccountRequired" (7.3.4); "renewalInfo" (RFC 9773 3)."""
    return _respond(
        {
            "newNonce": ctx.url("new_nonce"),
            "newAccount": ctx.url("new_account"),
            "newOrder": ctx.url("new_order"),
            "revokeCert": ctx.url("revoke_cert"),
            "keyChange": ctx.url("key_change"),
            "renewalInfo": ctx.url("renewal_info_base"),
            "meta": {"externalAccountRequired": True, "website": settings.SITE_URL},
        }
    )


@acme_view
def new_nonce_view(request: HttpRequest, ctx: Context) -> HttpResponse:
    """RFC 8555 7.2: 200 to HEAD, 204 to GET, the nonce in the header (added by acme_view)."""
    return HttpResponse(status=200 if request.method == "HEAD" else 204)


@acme_view
def new_account(request: HttpRequest, ctx: Context) -> HttpResponse:
    _post_only(request)
    signed = ctx.verify(jwk_allowed=True, kid_allowed=False)
    assert signed.jwk is not None
    account, created = acme_accounts.new_account(
        ctx.endpoint, signed.json(), signed.jwk, ctx.url("new_account")
    )
    return _respond(
        render.account(ctx.url, account),
        status=201 if created else 200,
        headers={"Location": ctx.url("account", account.public_id)},
    )


def _own_account(ctx: Context, public_id: str) -> AcmeAccount:
    ctx.verify()
    if ctx.account is None or ctx.account.public_id != public_id:
        raise AcmeProblem("unauthorized", _("This is not your account."), 403)
    return ctx.account


@acme_view
def account(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.3.2 (update), 7.3.6 (deactivation); POST-as-GET reads it."""
    _post_only(request)
    own = _own_account(ctx, public_id)
    assert ctx.signed is not None
    updated = acme_accounts.update_account(own, ctx.signed.json()) if ctx.signed.payload else own
    return _respond(render.account(ctx.url, updated), headers={"Location": ctx.url("account", own.public_id)})


@acme_view
def account_orders(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.1.2.1: the account's orders not yet expired."""
    _post_only(request)
    own = _own_account(ctx, public_id)
    ids = (
        own.orders.exclude(status=AcmeStatus.INVALID)
        .order_by("-pk")
        .values_list("public_id", flat=True)[:1000]
    )
    return _respond({"orders": [ctx.url("order", i) for i in ids]})


@acme_view
def key_change(request: HttpRequest, ctx: Context) -> HttpResponse:
    """RFC 8555 7.3.5."""
    _post_only(request)
    ctx.verify()
    assert ctx.account is not None and ctx.signed is not None
    try:
        changed = acme_accounts.change_key(
            ctx.account, ctx.signed.json(), ctx.url("key_change"), ctx.url("account", ctx.account.public_id)
        )
    except AcmeProblem as problem:
        if problem.status == 409:
            problem.headers["Location"] = ctx.url("account", ctx.account.public_id)
        raise
    return _respond(render.account(ctx.url, changed))


@acme_view
def new_order(request: HttpRequest, ctx: Context) -> HttpResponse:
    """RFC 8555 7.4 (and RFC 9773 5: "replaces")."""
    _post_only(request)
    signed = ctx.verify()
    assert ctx.account is not None
    order = acme_orders.new_order(ctx.account, signed.json())
    return _respond(
        render.order(ctx.url, order), status=201, headers={"Location": ctx.url("order", order.public_id)}
    )


def _own_order(ctx: Context, public_id: str) -> AcmeOrder:
    order = AcmeOrder.objects.filter(public_id=public_id, acme_account__endpoint=ctx.endpoint).first()
    if order is None or ctx.account is None or order.acme_account_id != ctx.account.pk:
        raise AcmeProblem("malformed", _("No such order for this account."), 404)
    return order


def _order_response(ctx: Context, order: AcmeOrder) -> HttpResponse:
    headers = {"Location": ctx.url("order", order.public_id)}
    if order.status == AcmeStatus.PROCESSING:
        headers["Retry-After"] = _retry_after()
    return _respond(render.order(ctx.url, order), headers=headers)


@acme_view
def order(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """POST-as-GET: the order; a processing order tries to move on (approval given, DCV done)."""
    _post_only(request)
    ctx.verify()
    current = _own_order(ctx, public_id)
    current = acme_orders.advance(current) if current.order_id else acme_orders.refresh(current)
    return _order_response(ctx, current)


@acme_view
def finalize(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.4: the CSR."""
    _post_only(request)
    signed = ctx.verify()
    current = acme_orders.finalize(_own_order(ctx, public_id), signed.json())
    return _order_response(ctx, current)


def _own_authorization(ctx: Context, public_id: str) -> AcmeAuthorization:
    item = (
        AcmeAuthorization.objects.select_related("acme_order__acme_account__endpoint")
        .filter(public_id=public_id, acme_order__acme_account__endpoint=ctx.endpoint)
        .first()
    )
    if item is None or ctx.account is None or item.acme_order.acme_account_id != ctx.account.pk:
        raise AcmeProblem("malformed", _("No such authorization for this account."), 404)
    return item


@acme_view
def authorization(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.5; {"status": "deactivated"} deactivates it (7.5.2)."""
    _post_only(request)
    signed = ctx.verify()
    item = _own_authorization(ctx, public_id)
    if signed.payload:
        if signed.json().get("status") != AcmeStatus.DEACTIVATED:
            raise AcmeProblem("malformed", _("An authorization can only be deactivated."))
        with transaction.atomic():
            item.status = AcmeStatus.DEACTIVATED
            item.save(update_fields=["status"])
    return _respond(render.authorization(ctx.url, item))


@acme_view
def challenge(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.5.1: a payload ({}) asks the portal to check it; POST-as-GET reads it."""
    _post_only(request)
    signed = ctx.verify()
    item = (
        AcmeChallenge.objects.select_related(
            "authorization__acme_order__acme_account__endpoint__product__brand"
        )
        .filter(public_id=public_id, authorization__acme_order__acme_account__endpoint=ctx.endpoint)
        .first()
    )
    if item is None or ctx.account is None or item.authorization.acme_order.acme_account_id != ctx.account.pk:
        raise AcmeProblem("malformed", _("No such challenge for this account."), 404)
    if signed.payload:
        item = acme_orders.respond(item)
    up = ctx.url("authorization", item.authorization.public_id)
    return _respond(render.challenge(ctx.url, item), headers={"Link": f'<{up}>;rel="up"'})


@acme_view
def certificate(request: HttpRequest, ctx: Context, public_id: str) -> HttpResponse:
    """RFC 8555 7.4.2: application/pem-certificate-chain."""
    _post_only(request)
    ctx.verify()
    pem = acme_orders.certificate_chain(_own_order(ctx, public_id))
    return HttpResponse(pem, content_type="application/pem-certificate-chain")


@acme_view
def revoke_cert(request: HttpRequest, ctx: Context) -> HttpResponse:
    """RFC 8555 7.6: by the ordering account ("kid") or the certificate's key ("jwk")."""
    _post_only(request)
    signed = ctx.verify(jwk_allowed=True)
    revoke(ctx.endpoint, signed.json(), account=ctx.account, jwk=signed.jwk)
    return HttpResponse(status=200)


@acme_view
def renewal_info(request: HttpRequest, ctx: Context, cert_id: str = "") -> HttpResponse:
    """RFC 9773 4: GET, unauthenticated, the suggested window of a certificate of this account."""
    if request.method != "GET" or not cert_id:
        raise AcmeProblem(
            "malformed", _("GET renewalInfo/<certID>."), 405 if request.method != "GET" else 404
        )
    return _respond(
        ari.renewal_info(ctx.endpoint, cert_id), headers={"Retry-After": str(ari.RETRY_AFTER_SECONDS)}
    )
