"""{% certificate_login_button %}: the "Log in with my certificate" form of the login page (ACC-7),
shown only when the trusted TLS terminator passes a verified client certificate."""

from __future__ import annotations

from django import template

from accounts.clientcert.trust import presented_certificate

register = template.Library()


@register.inclusion_tag("clientcert/_login_button.html", takes_context=True)
def certificate_login_button(context, next_url: str = ""):
    request = context.get("request")
    return {
        "show": request is not None and presented_certificate(request) is not None,
        "next": next_url,
        "csrf_token": context.get("csrf_token"),
    }
