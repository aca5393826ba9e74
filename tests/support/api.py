"""Builders of the REST API tests (AUTO-6): API users with their tokens, clients that send them."""

from __future__ import annotations

from django.test import Client

from accounts.administration.services import create_api_user
from accounts.models import Account, Right, User

PROBLEM_JSON = "application/problem+json"


def api_token(account: Account, owner: User, *rights: Right, name: str = "Robot") -> str:
    """A new API user of `account` with `rights` (made by its super user, as the page does); its token."""
    _user, _token, raw = create_api_user(account, name=name, rights=rights or list(Right), by=owner)
    return raw


def api_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_problem(response, status: int) -> dict:
    """The answer is an RFC 9457 problem document of this status; its body."""
    assert response.status_code == status, response.content.decode()[:1000]
    assert response["Content-Type"].startswith(PROBLEM_JSON), response["Content-Type"]
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] and problem["title"] and problem["detail"]
    return problem
