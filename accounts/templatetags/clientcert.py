"""{% certificate_login_button %}: the "Log in with my certificate" form of the login page (ACC-7),
shown only when the trusted TLS terminator passes a verified client certificate."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context

from accounts.clientcert.trust import presented_certificate

register = template.Library()


@register.inclusion_tag("clientcert/_login_button.html", takes_context=True)
def certificate_login_button(context: Context, next_url: str = "") -> dict[str, Any]:
    request = context.get("request")
    return {
        "show": request is not None and presented_certificate(request) is not None,
        "next": next_url,
        "csrf_token": context.get("csrf_token"),
    }
