"""Benchmark (issue 17): the portal under load with the production settings, one account of each size.

gunicorn (DEBUG off, the worker count of docker-compose.yml) on 127.0.0.1, then for each account
made by `bench/lists_at_scale.py` (run it first: it builds them) CLIENTS concurrent clients without
pause for SECONDS seconds over the page mix home, order list, an order's status page and the
invoices, and in the same run the same clients on one static file (the bare baseline: what the
server does without the application). Prints requests/s, p50 and p95 per phase, the errors, and
each throughput as a fraction of the static file's. Loopback only; every phase is bounded in time.
Not a test: nothing here asserts a time.

    BENCH_LOAD_SECONDS=60 BENCH_LOAD_CLIENTS=50 .venv/bin/python bench/load_test.py
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
)
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
# Unmeasured load before each phase: every worker has imported, compiled and cached what the
# phase's pages need (one request per path warmed one worker only, so the first phase measured
# the others' start-up).
WARMUP = float(os.environ.get("BENCH_LOAD_WARMUP", "5"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
TIMEOUT = 30.0  # seconds per request: a request slower than this counts as an error
HOST = "127.0.0.1"


def workers_of_compose() -> int:
    """The --workers of the web service in docker-compose.yml (3 when not found)."""
    found = re.search(r"--workers\s+(\d+)", (ROOT / "docker-compose.yml").read_text())
    return int(found.group(1)) if found else 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def production_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789abcdef"),
        CA_KEY_PASSPHRASE=os.environ.get("CA_KEY_PASSPHRASE", "bench-only-ca-passphrase"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        ALLOWED_HOSTS=HOST,
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def sessions_and_urls() -> tuple[dict[int, tuple[str, list[str]]], str]:
    """Per size: a session cookie of the account's super user and its page mix; the static path."""
    os.environ.update(production_env())
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django_scopes import scopes_disabled

    from accounts.models import Account, User
    from orders.models import Order

    settings.ALLOWED_HOSTS = ["testserver", HOST]
    found: dict[int, tuple[str, list[str]]] = {}
    with scopes_disabled():
        for size in SIZES:
            account = Account.objects.filter(name=f"Bench {size}").first()
            if account is None:
                sys.exit(f"no account 'Bench {size}': run bench/lists_at_scale.py first")
            user = User.objects.get(account=account, is_account_superuser=True)
            order = Order.objects.filter(account=account).order_by("-created_at")[0]
            client = Client()
            client.force_login(user)
            cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
            found[size] = (cookie, ["/home/", "/orders/", f"/orders/{order.reference}/", "/accounting/"])
    manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())["paths"]
    name = next(path for path in sorted(manifest) if path.endswith(".css"))
    return found, f"/{settings.STATIC_URL.strip('/')}/{manifest[name]}"


async def one_request(port: int, path: str, cookie: str) -> int:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        headers = f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        writer.write((headers + "\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()
        while await reader.read(65536):
            pass
        return int(status_line.split()[1])
    finally:
        writer.close()


async def phase(
    port: int, paths: list[str], cookie: str, seconds: float = SECONDS
) -> tuple[int, list[float], int, float]:
    """CLIENTS loops without pause for `seconds`: (answered 200, latencies, errors, elapsed)."""
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal errors
        turn = offset
        while time.perf_counter() < end:
            path = paths[turn % len(paths)]
            turn += 1
            start = time.perf_counter()
            try:
                status = await asyncio.wait_for(one_request(port, path, cookie), TIMEOUT)
            except (TimeoutError, OSError, ValueError, IndexError):
                status = 0
            if status == 200:
                latencies.append(time.perf_counter() - start)
            else:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return len(latencies), latencies, errors, time.perf_counter() - start


def wait_ready(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not start")


def main() -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env(),
        check=True,
    )
    accounts, static_path = sessions_and_urls()
    port = free_port()
    workers = workers_of_compose()
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--forwarded-allow-ips=*",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=production_env(),
    )
    try:
        wait_ready(port, time.time() + 60)
        print(
            f"gunicorn, {workers} workers, DEBUG off; {CLIENTS} clients without pause, {SECONDS:.0f} s per phase"
        )
        phases: list[tuple[str, list[str], str]] = [("static file (baseline)", [static_path], "")]
        for size, (cookie, paths) in accounts.items():
            phases.append((f"page mix, {size} orders", paths, cookie))
        results = {}
        for label, paths, cookie in phases:
            # Warm every worker on these paths (imports, templates, caches), outside the measure.
            asyncio.run(phase(port, paths, cookie, WARMUP))
            done, latencies, errors, elapsed = asyncio.run(phase(port, paths, cookie))
            rate = done / elapsed
            results[label] = rate
            p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
            p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else float("nan")
            print(
                f"{label:<28} {rate:8.1f} req/s  p50 {p50:8.0f} ms  p95 {p95:8.0f} ms  "
                f"{done} answered, {errors} errors",
                flush=True,
            )
        static = results["static file (baseline)"]
        rates = [results[f"page mix, {size} orders"] for size in SIZES]
        for size, rate in zip(SIZES, rates, strict=True):
            print(f"page mix at {size} orders: 1/{static / rate:.0f} of the static file's throughput")
        if len(rates) == 2:
            print(f"throughput {SIZES[1]} / {SIZES[0]} orders: {rates[1] / rates[0]:.2f}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
