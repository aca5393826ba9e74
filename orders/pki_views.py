"""Public PKI endpoints of the embedded CA (AUTO-4): CA certificates and CRLs, no login.

Relying parties fetch these from the URLs written in certificates: the CRL distribution point
(RFC 5280 4.2.1.13) and the caIssuers access method (RFC 5280 4.2.2.1), over plain HTTP.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from accounts.access import public_view

from .ca import http01
from .ca.embedded import EmbeddedCA, ca_certificate
from .models import CertificateAuthority


def _authority(slug: str) -> CertificateAuthority:
    # CA rows belong to no account; only existing authorities are served, none is created here.
    try:
        return CertificateAuthority.objects.get(slug=slug)
    except CertificateAuthority.DoesNotExist:
        raise Http404 from None


@require_safe
def crl(request: HttpRequest, slug: str) -> HttpResponse:
    """A fresh CRL in DER (RFC 5280 5; BR 7.2). crl_der reads the revoked Certificate rows of every
    account under scopes_disabled(): a CRL is public by nature."""
    der = EmbeddedCA().crl_der(_authority(slug))
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def crt(request: HttpRequest, slug: str) -> HttpResponse:
    """The CA certificate in DER, as caIssuers URLs serve it (RFC 5280 4.2.2.1)."""
    der = ca_certificate(_authority(slug)).public_bytes(Encoding.DER)
    response = HttpResponse(der, content_type="application/pkix-cert")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def pem(request: HttpRequest, slug: str) -> HttpResponse:
    """The CA certificate in PEM, for people installing the root by hand."""
    ca = _authority(slug)
    response = HttpResponse(ca.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{ca.slug}.pem"'
    return response


@public_view
@require_safe
def acme_challenge(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8555 8.3: the key authorization of an http-01 challenge the upstream ACME connector is
    answering (AUTO-4 [beyond], orders.ca.http01), as plain text; 404 for any other token. Open to
    anyone: the outside CA fetches it, directly or through the customer's redirect."""
    answer = http01.key_authorization(token)
    if answer is None:
        raise Http404
    return HttpResponse(answer, content_type="application/octet-stream")
