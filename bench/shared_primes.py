"""Benchmark: the shared-prime check of a new CSR (ORD-6, issue 13 point 3) against 100,000 stored moduli.

Stored moduli are random odd 2048-bit numbers, not products of two 1024-bit primes: making 100,000 real
keys takes hours, and the gcd work (one gcd per bucket of products) costs the same for any 2048-bit
number. The new keys checked are real RSA keys. Prints the median time per check, cold (a new process
reads every bucket) and warm (only the buckets that changed are read), and its ratio to a baseline
measured in the same run: one Python gcd of two 2048-bit integers, and parse_csr of the same CSR without
the shared-prime check. Runs in a throw-away test database:

    DEBUG=1 .venv/bin/python bench/shared_primes.py [COUNT]            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1/portal .venv/bin/python bench/shared_primes.py
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import gmpy2  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from orders import sharedprimes  # noqa: E402
from orders.csr import parse_csr  # noqa: E402
from orders.models import KnownModulus, ModulusBucket  # noqa: E402
from tests.factories import make_csr, make_key  # noqa: E402


def _product(numbers: list[int]) -> int:
    """Product of `numbers` by a product tree (balanced multiplications, fast with GMP)."""
    layer = [gmpy2.mpz(n) for n in numbers] or [gmpy2.mpz(1)]
    while len(layer) > 1:
        layer = [layer[i] * layer[i + 1] if i + 1 < len(layer) else layer[i] for i in range(0, len(layer), 2)]
    return int(layer[0])


def fill(count: int, rng: random.Random) -> None:
    """Store `count` random odd 2048-bit moduli in full buckets (bulk inserts, not the one-by-one path)."""
    size = sharedprimes.BUCKET_SIZE
    for start in range(0, count, size):
        moduli = [rng.getrandbits(2048) | (1 << 2047) | 1 for _ in range(min(size, count - start))]
        bucket = ModulusBucket.objects.create(
            product=sharedprimes._to_bytes(_product(moduli)), size=len(moduli), stamp=f"bench{start}"
        )
        KnownModulus.objects.bulk_create(
            [
                KnownModulus(
                    sha256=sharedprimes.modulus_sha256(n), modulus=sharedprimes._to_bytes(n), bucket=bucket
                )
                for n in moduli
            ],
            batch_size=1000,
        )


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` in milliseconds over `repeat` runs (CPU time of the last call kept in
    CPU_MS: on a shared machine the wall time includes waiting for a core)."""
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU_MS[0] = statistics.median(cpu)
    return statistics.median(times)


CPU_MS = [0.0]


def main(count: int) -> None:
    """Fill the throw-away database with `count` moduli and print the figures."""
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rng = random.Random(2012)
        start = time.perf_counter()
        fill(count, rng)
        print(
            f"{connection.vendor}: {count:,} stored moduli in {ModulusBucket.objects.count()} buckets "
            f"of {sharedprimes.BUCKET_SIZE} (filled in {time.perf_counter() - start:.1f} s)"
        )
        keys = [make_key() for _ in range(5)]
        moduli = [key.public_key().public_numbers().n for key in keys]
        csrs = [make_csr("www.acme.test", key=key) for key in keys]

        a, b = rng.getrandbits(2048), rng.getrandbits(2048)
        gcd_ms = median_ms(lambda: math.gcd(a, b), 2001)
        with (
            mock.patch("orders.sharedprimes.shares_prime", return_value=False),
            mock.patch("orders.weakkeys.shares_prime", return_value=False),
            mock.patch("orders.csr.remember_public_key"),
        ):
            parse_ms = median_ms(lambda: parse_csr(csrs[0]), 9)

        sharedprimes._cache.clear()
        cold_ms = median_ms(lambda: sharedprimes.shares_prime(moduli[0]), 1)
        cold_cpu = CPU_MS[0]
        warm_ms = median_ms(lambda: sharedprimes.shares_prime(moduli[1]), 21)
        warm_cpu = CPU_MS[0]

        def add_then_check() -> None:
            """A CSR accepted elsewhere (one bucket changes), then a new CSR's check."""
            sharedprimes.remember_modulus(rng.getrandbits(2048) | (1 << 2047) | 1)
            sharedprimes.shares_prime(moduli[2])

        changed_ms = median_ms(add_then_check, 11)
        changed_cpu = CPU_MS[0]
        full_ms = median_ms(lambda: parse_csr(csrs[3]), 9)
        full_cpu = CPU_MS[0]

        print(
            f"baseline: one math.gcd of two 2048-bit ints {gcd_ms * 1000:.1f} µs; "
            f"parse_csr without the shared-prime check {parse_ms:.1f} ms"
        )
        rows = [
            ("shared-prime check, cold (reads every bucket)", cold_ms, cold_cpu),
            ("shared-prime check, warm (no bucket changed)", warm_ms, warm_cpu),
            ("add one modulus + check (one bucket re-read)", changed_ms, changed_cpu),
            ("parse_csr with the check (warm)", full_ms, full_cpu),
        ]
        print(f"load average: {os.getloadavg()[0]:.1f}")
        for label, ms, cpu_ms in rows:
            print(
                f"{label:48} {ms:8.1f} ms wall ({cpu_ms:6.1f} ms CPU) = {ms / gcd_ms:7.0f} x gcd"
                f" = {ms / parse_ms:6.2f} x parse_csr"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
