#!/usr/bin/env bash
# The demo (make demo): SQLite under var/, Celery worker + beat on the filesystem broker, runserver.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
export STAFF_REQUIRE_2FA="${STAFF_REQUIRE_2FA:-0}"
# The demo's domains (*.test) are in no DNS: no CAA pre-check at order time.
export DCV_CAA_PRECHECK="${DCV_CAA_PRECHECK:-0}"
# Browsers refuse an IP address as the passkey site name: the demo is browsed at localhost.
export SITE_URL="${SITE_URL:-http://localhost:8000}"
PY=.venv/bin/python
$PY manage.py compilemessages --ignore=.venv -v 0
$PY manage.py migrate --noinput
$PY manage.py load_demo
.venv/bin/celery -A portal worker -B --loglevel=INFO --concurrency=2 --logfile=var/celery.log &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo
echo "Portal: http://localhost:8000  (logins in README.md, password demo-portal-2026)"
echo "Worker and beat log: var/celery.log"
$PY manage.py runserver 127.0.0.1:8000
