"""Shared fixtures: two accounts (ours and an outsider's), users with one right each, a product.

Tests read like behaviour (STYLE.md 13): `owner` holds every right, `tech` and `billing` one each,
`outsider` belongs to another account.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = factories.PASSWORD


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (make test runs the suite on every core) each worker has its own test
    database (pytest-django adds the worker id to its name) and its own folder under VAR_DIR for
    the files tests write (media); the collected static files stay shared (read only)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from django.conf import settings

    own = Path(settings.VAR_DIR) / "workers" / worker
    (own / "media").mkdir(parents=True, exist_ok=True)
    settings.VAR_DIR = own
    settings.MEDIA_ROOT = own / "media"


@pytest.fixture(autouse=True, scope="session")
def _task_modules() -> None:
    """Every task module a worker imports at start (CELERY_IMPORTS) is registered, as in a worker:
    a test file run alone finds the tasks the outbox enqueues by name, as the whole suite does."""
    from portal.celery import app

    app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A request answered in French (LocaleMiddleware, a user's language) leaves French active in
    the thread; the next test starts in the default language again, whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_scope_leak():
    """Tests build data across accounts freely; views still run under the request's own scope."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _own_cache_keys(settings, request):
    """Each test gets its own key prefix in the real Redis cache: login rate limits and other
    counters of one test (or of a parallel run) never leak into another."""
    import uuid

    caches = {
        name: {**conf, "KEY_PREFIX": f"t-{uuid.uuid4().hex[:12]}"} for name, conf in settings.CACHES.items()
    }
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _plain_static_for_live_server(request, settings):
    """The live server serves static files from the apps (finders), not the hashed names of the
    collected manifest that DEBUG=0 templates would ask for: browser tests use plain names."""
    if "live_server" in request.fixturenames:
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }


@pytest.fixture(autouse=True)
def _no_caa_precheck(settings):
    """The order form's CAA pre-check asks DNS; tests of it point it at a loopback server."""
    settings.DCV_CAA_PRECHECK = False


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def account(db):
    return factories.make_account("Acme Hosting", domain="acme.test")


@pytest.fixture
def other_account(db):
    return factories.make_account("Globex Corp", domain="globex.test")


@pytest.fixture
def owner(account):
    return factories.make_user(account, "owner", superuser=True)


@pytest.fixture
def tech(account):
    from accounts.models import Right

    return factories.make_user(account, "tech", rights=[Right.TECHNICAL])


@pytest.fixture
def billing(account):
    from accounts.models import Right

    return factories.make_user(account, "billing", rights=[Right.BILLING])


@pytest.fixture
def outsider(other_account):
    return factories.make_user(other_account, "outsider", superuser=True)


@pytest.fixture
def staff(db):
    return factories.make_staff("staffer")


@pytest.fixture
def product(db):
    return factories.make_product("ssl-ov", price=Decimal("120.00"))


def login(client, user):
    client.force_login(user)
    return client


# Browser tests: Debian's Chromium, never a downloaded browser (STACK.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def csp_violations(request, monkeypatch):
    """Issue 13 point 7: a browser test fails on any Content-Security-Policy violation (and any
    Permissions-Policy header error) Chromium reports in the console of any page it opens, so a
    script or style the policy blocks never goes unnoticed. A test that provokes one on purpose
    empties the list."""
    found: list[str] = []
    if "browser" not in request.fixturenames:
        yield found
        return
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage

    def listen(context: BrowserContext) -> BrowserContext:
        def on_console(message: ConsoleMessage) -> None:
            text = message.text
            if (
                "Content Security Policy" in text
                or text.startswith("Refused to")
                or "Permissions-Policy" in text
            ):
                found.append(f"{message.page.url if message.page else '?'}: {text}")

        context.on("console", on_console)
        return context

    new_context, new_page = Browser.new_context, Browser.new_page

    def listening_context(self, *args, **kwargs):
        return listen(new_context(self, *args, **kwargs))

    def listening_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        listen(page.context)
        return page

    monkeypatch.setattr(Browser, "new_context", listening_context)
    monkeypatch.setattr(Browser, "new_page", listening_page)
    yield found
    assert found == [], "the browser refused what the security policy forbids"
