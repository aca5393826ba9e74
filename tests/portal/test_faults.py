"""Faults lose nothing (issue 18), end to end with real processes.

The module starts its OWN Redis, Celery worker (with beat) and gunicorn on free ports, all on
this test's PostgreSQL database, never the shared Redis. One order goes through its life while
the test stops Redis, cuts the database connections and SIGKILLs the worker at chosen moments:
paid (confirmation email) -> issuing (staff request) -> delivered (delivery email). At the end
every effect happened exactly once: one order, one invoice, one debit, one certificate, one email
of each kind.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connection, transaction

from accounts.models import Account, AuditEvent, Right
from billing.models import Document, DocumentKind, EuroMovement
from billing.services.ledger import credit_euros, euro_balance
from orders.models import Certificate, Order, OrderStatus
from orders.services.ordering import submit_order
from orders.services.payment import plan_payment
from outbox.models import OutboxMessage
from tests import factories
from tests.support.orders import contacts_of, pass_dcv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fault tests need PostgreSQL"),
]

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PRICE = Decimal("150.00")  # 12 months at 120.00 + one SAN at 30.00, excl. VAT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], T], what: str, limit: float = 90) -> T:
    """Poll until `condition()` is truthy; a deadline only turns a hang into a clear failure."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


class Service:
    """A subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.command, self.env, self.logs = name, command, env, logs
        self.log = logs / f"{name}-0.log"
        self.starts = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.starts += 1
        self.log = self.logs / f"{self.name}-{self.starts}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=60)
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Stack:
    def __init__(self, tmp: Path) -> None:
        settings = connection.settings_dict
        self.redis_port, self.web_port = free_port(), free_port()
        self.mail = tmp / "mail"
        self.mail.mkdir()
        database = (
            f"postgres://{settings['USER'] or 'postgres'}:{urllib.parse.quote(settings['PASSWORD'] or '')}"
            f"@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DJANGO_SETTINGS_MODULE": "tests.support.fault_settings",
            "FAULT_MAIL_DIR": str(self.mail),
            "DEBUG": "0",
            "STAFF_REQUIRE_2FA": "0",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "SITE_URL": "http://127.0.0.1",
            "PYTHONPATH": str(ROOT),
        }
        self.redis = Service(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            env,
            tmp,
        )
        self.worker = Service(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "portal",
                "worker",
                "-B",
                "-s",
                str(tmp / "beat-schedule"),
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ],  # fmt: skip
            env,
            tmp,
        )
        self.web = Service(
            "web",
            [
                str(BIN / "gunicorn"),
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{self.web_port}",
                "-w",
                "1",
                "--timeout",
                "120",
            ],
            env,
            tmp,
        )

    def start_redis(self) -> None:
        self.redis.start()
        wait_for(self.redis_answers, "Redis to answer")

    def redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_worker(self) -> None:
        self.worker.start()
        wait_for(lambda: " ready." in self.worker.output(), "the worker to start")

    def start_web(self) -> None:
        self.web.start()
        wait_for(self.web_answers, "gunicorn to answer")

    def web_answers(self) -> bool:
        try:
            return urllib.request.urlopen(self.url("/health/live/"), timeout=5).status == 200  # noqa: S310
        except OSError:
            return False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def emails(self) -> list[email.message.Message]:
        return [email.message_from_bytes(path.read_bytes()) for path in sorted(self.mail.glob("*.eml"))]

    def started(self) -> list[int]:
        return [int(path.name.split("-")[1]) for path in self.mail.glob("started-*")]

    def stop(self) -> None:
        for service in (self.web, self.worker, self.redis):
            service.kill()


@pytest.fixture
def stack(transactional_db, tmp_path) -> Iterator[Stack]:
    """Stopped before the test database is emptied: nothing writes into the next test's data."""
    stack = Stack(tmp_path)
    try:
        stack.start_redis()
        stack.start_worker()
        stack.start_web()
        yield stack
    finally:
        stack.stop()


class Browser:
    """A cookie-keeping HTTP client for the gunicorn of the stack (CSRF included)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = None
        if data is not None:
            token = next(c.value for c in self.jar if c.name == "csrftoken")
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(self.stack.url(path), data=body)  # noqa: S310
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()

    def post_form(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        self.request(path)
        return self.request(path, data)


def outbox_row(task: str, template: str) -> OutboxMessage:
    return OutboxMessage.objects.filter(task=task, args__0=template).get()


def subjects(stack: Stack) -> list[str]:
    return sorted(str(message["Subject"]) for message in stack.emails())


def terminate_other_connections() -> int:
    """pg_terminate_backend on every connection to this database but ours: the web server's and
    the worker's, idle or busy."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_an_order_survives_broker_outage_cut_connections_and_killed_workers(stack, monkeypatch, product):
    # The test process itself never publishes: what it queues waits for the relay of the worker.
    monkeypatch.setattr("outbox.queue.publish", lambda ids: 0)
    staff = factories.make_staff("night-shift")
    account = factories.make_account("Acme Hosting", domain="acme.test")
    tech = factories.make_user(account, "tech", rights=[Right.TECHNICAL])
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    credit_euros(account, Decimal("500.00"), reference="TOPUP-1")

    # 1. Redis stops. An order is placed and paid from the balance, and a password reset is asked
    #    through the web server: both answer normally, their emails wait in the outbox.
    stack.redis.kill()
    holder, admin, technical = contacts_of(account)
    order = submit_order(
        account=account,
        user=tech,
        product=product,
        period_months=12,
        organisation=holder,
        admin_contact=admin,
        technical_contact=technical,
        common_name="www.acme.test",
        sans=["acme.test"],
        csr=factories.make_csr("www.acme.test", ["acme.test"], key=factories.make_key("p256")),
        server_software="nginx",
        dcv_method="dns",
        payment=plan_payment(account, product, 12, PRICE, method="balance"),
    )
    anonymous = Browser(stack)
    status, url, _page = anonymous.post_form("/accounts/password/reset/", {"email": tech.email})
    assert status == 200 and url.endswith("/accounts/password/reset/done/")
    confirmation = outbox_row("billing.mailing.send_email_with_pdf", "order_confirmation")
    reset = outbox_row("accounts.tasks.send_templated_email", "account_password_reset")
    assert confirmation.done_at is None and reset.done_at is None and reset.published_at is None
    assert stack.emails() == []

    # Redis is back (empty: it kept nothing): the relay publishes both, each is sent once.
    stack.start_redis()
    wait_for(lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(), "the waiting emails")
    assert len(stack.emails()) == 2
    assert any(order.reference in subject for subject in subjects(stack))

    # 2. A staff member issues while the database cuts the request's connection mid-way: the
    #    request fails with the error page and nothing is half-written.
    pass_dcv(order, staff)
    order.refresh_from_db()
    before = order.status
    staffer = Browser(stack)
    staffer.post_form("/accounts/login/", {"login": staff.username, "password": factories.PASSWORD})
    status, _url, page = staffer.request("/staff/")
    assert status == 200 and staff.username in page
    issue = f"/staff/orders/order/{order.pk}/issue/"
    answers: list[tuple[int, str, str]] = []
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=order.pk)  # the issue request waits on this lock
        caller = threading.Thread(target=lambda: answers.append(staffer.request(issue, {})))
        caller.start()
        wait_for(lambda: waiting_on_lock(), "the issue request to wait on the order's lock")
        assert terminate_other_connections() >= 1
        caller.join(timeout=120)
    [(status, _url, page)] = answers
    assert status == 500 and "Traceback" not in page
    order.refresh_from_db()
    assert order.status == before
    assert not Certificate.objects.filter(order=order).exists()
    assert not AuditEvent.objects.filter(action="certificate.issued").exists()
    assert not OutboxMessage.objects.filter(args__0="order_delivered").exists()

    # 3. Every connection is cut again while idle; the next request and the next task succeed
    #    without restarting anything (CONN_HEALTH_CHECKS). The delivery email is held half-way.
    terminate_other_connections()
    (stack.mail / "hold").touch()
    status, _url, _page = staffer.request(issue, {})
    assert status == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED_PAID
    delivery = outbox_row("accounts.tasks.send_templated_email", "order_delivered")

    # 4. The worker process sending it is SIGKILLed: the message is given back (acks_late,
    #    reject on worker lost) and a new process starts it again.
    first = wait_for(lambda: stack.started(), "the delivery email to start")[0]
    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: [pid for pid in stack.started() if pid != first], "the task to run again")[0]
    # 5. The whole worker (main process, beat, pool) is SIGKILLed mid-task and restarted: it
    #    republishes what is not done (its message sits unacknowledged in Redis until the
    #    visibility timeout), and the email goes out once.
    stack.worker.kill()
    stack.start_worker()
    wait_for(
        lambda: [pid for pid in stack.started() if pid not in (first, second)],
        "the restarted worker to run it",
    )
    (stack.mail / "hold").unlink()
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=delivery.pk, done_at__isnull=False).exists(), "the delivery"
    )

    # Exactly once, everywhere.
    assert len(stack.emails()) == 3
    assert len([s for s in subjects(stack) if "is ready" in s]) == 1
    assert Order.objects.filter(account=account).count() == 1
    assert Certificate.objects.filter(order=order).count() == 1
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1
    assert Document.objects.filter(account=account, kind=DocumentKind.INVOICE).count() == 1
    movements = sorted(EuroMovement.objects.filter(account=account).values_list("amount", flat=True))
    assert movements == [-PRICE, Decimal("500.00")]
    assert euro_balance(account) == Decimal("500.00") - PRICE
    assert OutboxMessage.objects.filter(done_at__isnull=True).count() == 0

    # /health/ of the stack: everything answers again.
    health = json.loads(Browser(stack).request("/health/")[2])
    assert health["status"] == "ok", health


def waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
