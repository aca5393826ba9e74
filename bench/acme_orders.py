"""Benchmark: ACME orders per second end to end (AUTO-2), with Debian's lego on loopback.

The portal runs in a live server thread on a throw-away test database; each certificate is a full
RFC 8555 exchange by a `lego run` process: a new order, an http-01 challenge answered by lego's
own server and checked by the portal's DCV code, finalize (CSR checks, a billed ACME- order,
issuance by the embedded CA) and the download. Names resolve through a loopback DNS server.
Measured sequentially (one client) and with several lego processes at once.

    DEBUG=1 .venv/bin/python bench/acme_orders.py [certificates per phase, default 8]
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Account  # noqa: E402
from orders.models import Order  # noqa: E402
from tests import factories  # noqa: E402
from tests.support.acme import dv_product, make_endpoint  # noqa: E402
from tests.support.dcv import DnsServer  # noqa: E402

PARALLEL = 4
LEGO = shutil.which("lego") or "lego"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def obtain(directory: str, kid: str, hmac: str, name: str, work: Path) -> None:
    port = free_port()
    settings.DCV_HTTP_PORT = port  # the sequential phase checks this client's own server
    result = subprocess.run(  # noqa: S603 (our arguments)
        [LEGO, "--server", directory, "--accept-tos", "--email", "bench@bench.test", "--eab", "--kid", kid,
         "--hmac", hmac, "--path", str(work), "--key-type", "ec256", "--domains", name,
         "--http", "--http.port", f"127.0.0.1:{port}", "run"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"lego failed for {name}:\n{result.stderr[-2000:]}")


def main() -> None:
    if not shutil.which("lego"):
        print("lego is not installed (apt-get install lego): skipped")
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    dns = DnsServer().__enter__()
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        settings.DCV_DNS_RESOLVER = [f"127.0.0.1:{dns.port}"]
        settings.DCV_ALLOW_PRIVATE_ADDRESSES = True
        settings.DCV_HTTP_TIMEOUT = 5
        settings.ACME_RETRY_AFTER = 1
        with scopes_disabled():
            account = factories.make_account(
                "Bench ACME", domain="bench.test", formula=Account.Formula.MONTHLY
            )
            user = factories.make_user(account, "bench", superuser=True)
            endpoint, hmac = make_endpoint(account, user, dv_product("bench-dv"))
        directory = f"http://127.0.0.1:{server.port}/acme/{endpoint.public_id}/directory"
        print(f"database: {connection.vendor}; lego {count} certificates per phase, http-01, new names each")
        with tempfile.TemporaryDirectory() as tmp:
            names = [f"www{i}.bench.test" for i in range(count)]
            for name in names:
                dns.add(name, "A", "127.0.0.1")
            start = time.perf_counter()
            for name in names:
                obtain(directory, endpoint.eab_key_id, hmac, name, Path(tmp) / "one")
            sequential = time.perf_counter() - start
            print(
                f"1 client:  {count / sequential:.2f} orders/s ({sequential / count * 1000:.0f} ms per certificate)"
            )
            # Parallel: every lego needs its own http-01 port, but the portal checks one port
            # (DCV_HTTP_PORT): the parallel phase uses dns-free reuse instead — the same names again,
            # whose validations the portal reuses (BR 4.2.1), so it measures ordering and issuance.
            start = time.perf_counter()
            with ThreadPoolExecutor(PARALLEL) as pool:
                list(
                    pool.map(
                        lambda pair: obtain(
                            directory, endpoint.eab_key_id, hmac, pair[1], Path(tmp) / f"p{pair[0]}"
                        ),
                        enumerate(names),
                    )
                )
            parallel = time.perf_counter() - start
            print(
                f"{PARALLEL} clients: {count / parallel:.2f} orders/s "
                f"({parallel / count * 1000:.0f} ms per certificate; validations reused)"
            )
        with scopes_disabled():
            made = Order.objects.filter(account=account, reference__startswith="ACME-").count()
        print(f"ACME- orders placed and delivered: {made}")
    finally:
        server.terminate()
        dns.__exit__(None, None, None)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
