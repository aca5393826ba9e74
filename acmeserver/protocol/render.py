"""The JSON of ACME resources (RFC 8555 7.1): accounts, orders, authorizations, challenges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..models import AcmeAccount, AcmeAuthorization, AcmeChallenge, AcmeOrder, AcmeStatus

UrlFor = Callable[..., str]


def rfc3339(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def account(url: UrlFor, item: AcmeAccount) -> dict[str, Any]:
    return {"status": item.status, "contact": item.contact, "orders": url("account_orders", item.public_id)}


def challenge(url: UrlFor, item: AcmeChallenge) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": item.type,
        "url": url("challenge", item.public_id),
        "status": item.status,
        "token": item.token,
    }
    if item.validated_at:
        data["validated"] = rfc3339(item.validated_at)
    if item.error:
        data["error"] = item.error
    return data


def authorization(url: UrlFor, item: AcmeAuthorization) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identifier": {"type": "dns", "value": item.value},
        "status": item.status,
        "expires": rfc3339(item.expires_at),
        "challenges": [challenge(url, c) for c in item.challenges.order_by("pk")],
    }
    if item.wildcard:
        data["wildcard"] = True
    return data


def order(url: UrlFor, item: AcmeOrder) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": item.status,
        "expires": rfc3339(item.expires_at),
        "identifiers": [{"type": "dns", "value": name} for name in item.identifiers],
        "authorizations": [url("authorization", a.public_id) for a in item.authorizations.order_by("pk")],
        "finalize": url("finalize", item.public_id),
    }
    if item.status == AcmeStatus.VALID:
        data["certificate"] = url("certificate", item.public_id)
    if item.error:
        data["error"] = item.error
    if item.replaces:
        data["replaces"] = item.replaces
    return data
