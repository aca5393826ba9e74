"""ACC-7: login and re-authentication by client certificate, and the enrolment link (ADM-3).

The certificate comes from the TLS terminator's headers, believed only from a trusted proxy
(accounts.clientcert.trust). The login goes through allauth (`perform_login`): the adapter's
pre_login checks (inactive, pending account), the login stages, then post_login, which audits it
as "login.certificate" and counts it as the recent authentication sensitive actions ask for.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.internal.flows.reauthentication import resume_request
from allauth.account.models import Login
from allauth.core import ratelimit
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import account_user_required, public_view
from accounts.models import ClientCertificate
from accounts.services import log_login_event
from accounts.typing import AuthenticatedRequest

from .. import ca
from ..services import CertificateRequestError, issue_from_csr, open_enrolment
from ..trust import (
    CertificateRefused,
    certificate_user,
    fingerprint,
    presented_certificate,
    verification_failure,
)

# What the audit of a refused certificate login needs: (reason code, certificate, its record).
Refusal = tuple[str, x509.Certificate | None, ClientCertificate | None]

CERTIFICATE_LOGIN_STATE = "certificate_login"


def json_body(request: AuthenticatedRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def issued_response(record: ClientCertificate) -> JsonResponse:
    """The JSON answer to static/js/clientcert.js: the certificate and its issuing CA, to pack with
    the browser's key into the PKCS#12 file it saves."""
    return JsonResponse(
        {
            "certificate": record.pem,
            "chain": [ca.authorities()[1].certificate_pem],
            "filename": f"{record.username}-portal-login.p12",
            "friendly_name": f"{record.username} (portal login)",
        }
    )


def _safe_next(request: AuthenticatedRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return next_url if next_url and get_adapter(request).is_safe_url(next_url) else ""


def _examine(request: AuthenticatedRequest) -> tuple[Any, ...]:
    """(user, record, refusal text, refusal) for the certificate this request presents; `refusal`
    is what the audit needs: (code, certificate, record)."""
    certificate = presented_certificate(request)
    if certificate is None:
        failure = verification_failure(request)
        text = (
            _("Your certificate was not accepted by the server (%(detail)s).") % {"detail": failure}
            if failure
            else _(
                "No client certificate reached the portal. Choose your certificate when "
                "your browser asks for it, or log in another way."
            )
        )
        return None, None, text, ("failed" if failure else "absent", None, None)
    try:
        user, record = certificate_user(certificate)
    except CertificateRefused as refused:
        return None, None, refused.message, (refused.code, certificate, refused.record)
    return user, record, "", None


def _audit_refusal(request: HttpRequest, refusal: Refusal) -> None:
    """PLAT-6: a refused certificate login, on the user's account when the certificate is known."""
    code, certificate, record = refusal
    details = {"step": "certificate", "reason": code}
    if certificate is not None:
        details["fingerprint_sha256"] = fingerprint(certificate)
    user = record.user if record is not None else None
    if user is None and request.user.is_authenticated:
        user = request.user  # a re-authentication: the attempt belongs to the logged-in user
    if user is not None:
        log_login_event("login.failed", account=user.account, user=user, obj=user, request=request, **details)
        return
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if certificate is not None else []
    log_login_event(
        "login.failed",
        request=request,
        actor_name=str(names[0].value)[:200] if names else "certificate",
        **details,
    )


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
def certificate_login(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACC-7: GET shows whose certificate is presented; POST logs that user in, no password."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or get_adapter(request).get_login_redirect_url(request))
    user, record, text, refusal = _examine(request)
    if request.method == "POST":
        limited = ratelimit.consume_or_429(request, action="login")
        if limited:
            return limited
        if user is None:
            _audit_refusal(request, refusal)
        else:
            record_authentication(
                request,
                user,
                method="certificate",
                serial=record.serial,
                fingerprint=record.fingerprint_sha256,
            )
            login = Login(user=user, redirect_url=next_url or None, state={CERTIFICATE_LOGIN_STATE: True})
            return perform_login(request, login)
    return render(
        request,
        "clientcert/login.html",
        {
            "certificate_user": user,
            "refusal": text,
            "next": next_url,
        },
        status=200 if user is not None else 403,
    )


@account_user_required
@never_cache
@require_http_methods(["GET", "POST"])
def reauthenticate(request: AuthenticatedRequest) -> HttpResponseBase:
    """ACC-9 / STYLE.md 10 for certificate users: present the certificate again (allauth then
    replays the suspended action, as after a password confirmation)."""
    user, record, text, refusal = _examine(request)
    if user is not None and user.pk != request.user.pk:
        # Another user's certificate: the attempt is audited on the logged-in user.
        user, text, refusal = (
            None,
            _("This certificate is not yours."),
            ("other_user", presented_certificate(request), None),
        )
    if request.method == "POST":
        if user is None:
            _audit_refusal(request, refusal)
        else:
            record_authentication(
                request,
                request.user,
                method="certificate",
                reauthenticated=True,
                serial=record.serial,
                fingerprint=record.fingerprint_sha256,
            )
            return resume_request(request) or redirect(_safe_next(request) or "home")
    return render(
        request,
        "clientcert/reauthenticate.html",
        {
            "refusal": text,
            "ok": user is not None,
            "next": _safe_next(request),
        },
        status=200 if user is not None else 403,
    )


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """ADM-3: the single-use link where the user makes their key in their browser."""
    enrolment = open_enrolment(token)
    if enrolment is None:
        if request.method == "POST":
            return JsonResponse({"error": _("This link was already used or has expired.")}, status=404)
        return render(request, "clientcert/enrol_invalid.html", status=404)
    if request.method == "POST":
        try:
            record = issue_from_csr(
                enrolment.user,
                json_body(request).get("csr", ""),
                by=None,
                request=request,
                enrolment=enrolment,
            )
        except CertificateRequestError as error:
            return JsonResponse({"error": str(error)}, status=400)
        return issued_response(record)
    return render(request, "clientcert/enrol.html", {"enrolee": enrolment.user, "enrolment": enrolment})
