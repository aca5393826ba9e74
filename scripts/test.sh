#!/usr/bin/env bash
# The test suite against PostgreSQL and Redis (make test), after the checks that fail it on any
# finding: ruff (lint and format), mypy (django-stubs), import-linter (app floors, no module
# cycles) and missing migrations. Extra arguments go to pytest.
# Without arguments (make test) pytest runs on every core with pytest-xdist, a database per
# worker; with arguments (one module, one test) it runs in one process unless PYTEST_WORKERS is set.
# Then the tests marked `sqlite` (the demo crawl, queries with a per-database form) run a second
# time on SQLite, the demo's own database (a file under VAR_DIR); SQLITE_PASS=0 skips that pass.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/${TEST_DB:-portal}}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production-0123456789abcdef}"
export CA_KEY_PASSPHRASE="${CA_KEY_PASSPHRASE:-test-only-ca-passphrase}"
export DJANGO_ALLOW_ASYNC_UNSAFE=true
export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
PY=.venv/bin/python
$PY manage.py compilemessages --ignore=.venv -v 0
$PY manage.py collectstatic --noinput -v 0
$PY -m ruff check .
$PY -m ruff format --check .
.venv/bin/lint-imports --no-logo --no-cache
.venv/bin/mypy
$PY manage.py makemigrations --check --dry-run
if [ $# -eq 0 ]; then
    WORKERS="${PYTEST_WORKERS:-auto}"
else
    WORKERS="${PYTEST_WORKERS:-0}"
fi
run_pytest() {
    if [ "$WORKERS" = 0 ]; then
        $PY -m pytest "$@"
    else
        $PY -m pytest -n "$WORKERS" --dist loadfile "$@"
    fi
}
run_pytest "$@"
if [ "${SQLITE_PASS:-1}" != 0 ] && [[ "$DATABASE_URL" != sqlite* ]]; then
    mkdir -p "$VAR_DIR"
    status=0
    DATABASE_URL="sqlite:///$VAR_DIR/${TEST_DB:-portal}.sqlite3" run_pytest "$@" -m sqlite || status=$?
    # 5: the selection held no test marked sqlite.
    [ "$status" = 5 ] || exit "$status"
fi
