# The two commands: `make demo` runs the portal with demo data on the embedded defaults
# (SQLite, filesystem broker, worker + beat); `make test` runs the whole suite on PostgreSQL + Redis.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/bin/uv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_SYSTEM_PACKAGES := python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_SYSTEM_PACKAGES := $(DEMO_SYSTEM_PACKAGES) chromium poppler-utils nginx lego certbot pebble
TEST_DB ?= portal

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test setup bundles system-demo system-test services lint messages clean sslyze bench backup restore

demo: system-demo setup bundles sslyze
	DEBUG=1 bash scripts/demo.sh

test: system-test setup services bundles sslyze
	bash scripts/test.sh

# Browser cryptography (KeyBot ORD-7, client-certificate enrolment ACC-7): build outputs of the
# npm lock file, never committed.
BUNDLES := static/js/keybot.bundle.js static/js/clientcert.bundle.js
bundles: $(BUNDLES)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/js/%.bundle.js: static/js/%.src.js node_modules/.installed
	npx esbuild $< --bundle --minify --format=iife --target=es2020 --outfile=$@

setup: $(VENV)/.synced

# MON-3: sslyze pins an older cryptography than the portal's: it gets its own virtual environment,
# called through its command line by monitoring/tls_scan.py (settings.SSLYZE_BIN).
SSLYZE_VENV := .sslyze-venv
sslyze: $(SSLYZE_VENV)/.installed

$(SSLYZE_VENV)/.installed: monitoring/sslyze-requirements.txt
	@[ -x $(UV) ] || { $(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv; }
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SSLYZE_VENV)
	$(UV) pip install --quiet --python $(SSLYZE_VENV)/bin/python -r monitoring/sslyze-requirements.txt
	touch $@

# Scale benchmarks (bench/README.md): PostgreSQL and Redis as for the tests.
bench: setup services sslyze
	bash bench/run.sh

$(VENV)/.synced: pyproject.toml uv.lock
	@[ -x $(UV) ] || { $(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv; }
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

system-demo:
	@missing=$$(for p in $(DEMO_SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo nodejs npm); \
	if [ -n "$$missing" ]; then echo "Installing $$missing"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

system-test:
	@missing=$$(for p in $(TEST_SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo nodejs npm); \
	if [ -n "$$missing" ]; then echo "Installing $$missing"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

services:
	bash scripts/services.sh


lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	DEBUG=1 $(VENV)/bin/mypy

messages: setup
	DEBUG=1 $(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=var --ignore=node_modules
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

# Issue 18 (README "Operations"): one archive with the database, the stored files and the CA
# material (keys encrypted); restore only into an empty installation, then verified.
backup: setup
	$(PY) manage.py backup $(if $(OUTPUT),--output $(OUTPUT))

restore: setup
	@[ -n "$(ARCHIVE)" ] || { echo "Usage: make restore ARCHIVE=var/backups/portal-....tar.gz" >&2; exit 2; }
	$(PY) manage.py restore $(ARCHIVE)

clean:
	rm -rf var/
