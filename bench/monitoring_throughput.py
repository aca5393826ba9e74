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
from django.test.utils import override_settings  # noqa: E402

from monitoring import scanning, tls_scan  # noqa: E402
from monitoring.models import MonitoredEndpoint  # noqa: E402
from tests.support.tls_servers import NAME, self_signed_leaf, start_nginx  # noqa: E402


def main() -> None:
    scans = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 24
    mode = os.environ.get("BENCH_MODE", "batched")  # "single": one sslyze process per endpoint (before)
    concurrency = settings.MONITORING_CONCURRENCY
    batch = settings.MONITORING_SSLYZE_BATCH
    leaf = self_signed_leaf()
    leaves = {"good": leaf, "expired": leaf, "rsa": self_signed_leaf(rsa_key=True)}
    with tempfile.TemporaryDirectory() as workdir:
        # Enough nginx sites for every scan to have its own endpoint (distinct ports), as in production.
        instances: list = []
        while len(instances) * 5 < scans:
            instances.append(start_nginx(Path(workdir) / f"nginx{len(instances)}", None, leaves=leaves))
        ports = [port for sites in instances for port in sites.ports.values()][:scans]
        try:
            started = time.perf_counter()
            if mode == "single":

                def one(i: int) -> str:
                    return tls_scan.assess(tls_scan.run_sslyze(NAME, "127.0.0.1", ports[i])).cap

                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    grades = list(pool.map(one, range(scans)))
            else:
                # What scan_due does: the due endpoints' sslyze half in batches, then each assessed.
                endpoints = [MonitoredEndpoint(names=NAME, port=port) for port in ports]
                with override_settings(INSTALLATION_TEST_ALLOW_PRIVATE=True):
                    found = scanning.prefetch_sslyze(endpoints, concurrency)
                grades = [tls_scan.assess(v).cap for v in found.values() if not isinstance(v, RuntimeError)]
            seconds = time.perf_counter() - started
        finally:
            for sites in instances:
                sites.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mode {mode}, {scans} scans, concurrency {concurrency}, batch {batch if mode != 'single' else 1}:")
    print(f"  {seconds:.1f} s, {seconds / scans:.2f} s per endpoint, {len(grades)} scanned")
    print(f"  throughput: {scans / seconds * 3600:,.0f} endpoints/hour")
    print(f"  peak memory: worker {worker:.0f} MiB, largest sslyze process {children:.0f} MiB")
    print("  grades seen:", sorted(set(grades)))


if __name__ == "__main__":
    main()
