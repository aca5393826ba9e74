"""Benchmark: monitoring scans per hour on this machine (JOBS-4, MON-3) and the worker's peak memory.

Scans loopback nginx endpoints with sslyze (its own venv, `make sslyze`) through the same adapter
the worker uses (monitoring.tls_scan.run_sslyze + assess), `MONITORING_CONCURRENCY` at a time as
scanning.scan_due does (threads, each waiting on one sslyze process). The installation-test half of
a scan (one TLS handshake, ~10 ms) is left out: sslyze's seconds dominate. No database needed.

    .venv/bin/python bench/monitoring_throughput.py [SCANS]
"""

import os
import resource
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

from monitoring import tls_scan  # noqa: E402
from tests.support.tls_servers import NAME, self_signed_leaf, start_nginx  # noqa: E402


def main() -> None:
    scans = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 24
    concurrency = settings.MONITORING_CONCURRENCY
    leaf = self_signed_leaf()
    leaves = {"good": leaf, "expired": leaf, "rsa": self_signed_leaf(rsa_key=True)}
    with tempfile.TemporaryDirectory() as workdir:
        sites = start_nginx(Path(workdir) / "nginx", None, leaves=leaves)
        ports = list(sites.ports.values())
        try:

            def one(i: int) -> str:
                return tls_scan.assess(tls_scan.run_sslyze(NAME, "127.0.0.1", ports[i % len(ports)])).cap

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                grades = list(pool.map(one, range(scans)))
            seconds = time.perf_counter() - started
        finally:
            sites.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{scans} scans, concurrency {concurrency}: {seconds:.1f} s, {seconds / scans:.2f} s per endpoint")
    print(f"throughput: {scans / seconds * 3600:,.0f} endpoints/hour")
    print(
        f"peak memory: worker {worker:.0f} MiB, largest sslyze process {children:.0f} MiB "
        f"(x{concurrency} at once: ~{worker + children * concurrency:.0f} MiB)"
    )
    print("grades seen:", sorted(set(grades)))


if __name__ == "__main__":
    main()
