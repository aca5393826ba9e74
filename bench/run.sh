#!/usr/bin/env bash
# make bench: every benchmark of bench/, on PostgreSQL (DATABASE_URL, default a portal_bench database).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal_bench}"
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key-0123456789abcdef}"
export CA_KEY_PASSPHRASE="${CA_KEY_PASSPHRASE:-bench-only-ca-passphrase}"
PY=.venv/bin/python
for bench in bench/*.py; do
    echo "== $bench"
    $PY "$bench" ${BENCH_ARGS:-}
done
