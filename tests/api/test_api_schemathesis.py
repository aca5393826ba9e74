"""AUTO-6 "Done when": schemathesis runs against the live OpenAPI schema of /api/v1/ for every
operation with both demo tenants' tokens, and finds no server error and no answer outside the
schema (status code, media type, body).

The demo is loaded once for the module (outside any test transaction, flushed afterwards, as the
demo crawl does); the fuzzing runs in one test's transaction, so whatever it orders, cancels or
revokes is rolled back. Requests go through Django's WSGI application in-process. Each operation
is fuzzed with free parameters (references that mostly do not exist: 404 problems) and again with
its path parameters set to one of the tenant's own delivered orders, certificates and invoices, so
the real objects' answers are checked too. Generation is derandomised: a run is reproducible.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.administration.services import create_api_user
from accounts.models import Account, Right, User
from billing.models import Document
from orders.models import Certificate
from portal.management.demo_accounts import DEMO_ACCOUNTS

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES_PER_RUN = 6  # per operation, tenant and kind of run (free / own objects)
MIN_EXAMPLES = 200

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    try:
        with django_db_blocker.unblock(), scopes_disabled():
            call_command("load_demo", verbosity=0)
        yield
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def wsgi_app(settings):
    """Django's WSGI application, without closing the test's connection at the end of each request
    (what Django's own test client does)."""
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def tenant(spec) -> tuple[str, dict[str, str]]:
    """A token of an API user with every right, made by the demo account's super user, and the
    path parameters of one of its delivered orders, certificates and invoices."""
    with scopes_disabled():
        account = Account.objects.get(name=spec.name)
        owner = User.objects.get(account=account, is_account_superuser=True)
        _user, _token, raw = create_api_user(account, name="Schemathesis", rights=list(Right), by=owner)
        certificate = (
            Certificate.objects.filter(account=account, state=Certificate.State.VALID, issuer__isnull=False)
            .select_related("order")
            .order_by("pk")
            .first()
        )
        invoice = Document.objects.filter(account=account).exclude(pdf=b"").order_by("pk").first()
    assert certificate is not None and invoice is not None
    return raw, {
        "reference": certificate.order.reference,
        "serial": certificate.serial,
        "public_id": invoice.public_id,
    }


class Findings:
    def __init__(self) -> None:
        self.examples: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []


def fuzz(operation, fixed: dict[str, str], headers: dict[str, str], label: str, found: Findings) -> None:
    @given(case=operation.as_strategy(path_parameters=fixed or None))
    @settings(
        max_examples=EXAMPLES_PER_RUN,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        found.examples[label] += 1
        response = case.call(headers=headers)
        found.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # every finding is collected, then reported together
            found.failures.append(
                f"{label}: {case.method} {case.formatted_path} -> {response.status_code}: {exc}"
            )

    run()


@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_and_no_schema_violation(demo, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    found = Findings()
    for spec in DEMO_ACCOUNTS:
        token, own = tenant(spec)
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            fuzz(operation, {}, headers, f"{spec.domain} {operation.label} free", found)
            if names:  # again on the tenant's own objects
                fixed = {k: v for k, v in own.items() if k in names}
                fuzz(operation, fixed, headers, f"{spec.domain} {operation.label} own", found)
    total = sum(found.examples.values())
    statuses = found.statuses
    print(
        f"schemathesis: {len(operations)} operations, {total} examples, statuses {dict(sorted(statuses.items()))}"
    )
    assert found.failures == [], "\n".join(found.failures[:20])
    assert total >= MIN_EXAMPLES, found.examples
    assert statuses[500] == 0
    # The fuzzing reached real objects, not only refusals.
    assert statuses[200] > 0 and statuses[404] < total
