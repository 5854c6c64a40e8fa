# Two commands for a fresh Linux machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: run serve test test-sqlite test-postgres lint lock deploy-env bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies only; reinstalled when the lock file changes.
$(VENV)/.installed-run: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@ $(VENV)/.installed-run

# Web server and worker on SQLite with a demo hotel; Ctrl-C stops everything it started.
run: export APP_URL ?= http://$(HOST):$(PORT)
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	PATH="$(abspath $(BIN)):$$PATH" exec $(BIN)/honcho start -f Procfile.dev

# Production on one host (docs/runbook.md): migrate as the owner, collect static files, then
# gunicorn as the app role and the worker as the worker role, with the environment you set.
serve: $(VENV)/.installed-run
	PYTHON=$(abspath $(BIN))/python deploy/innbox start

# The whole suite: everything on SQLite, then the PostgreSQL tests on the local server.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not postgres"
	INNBOX_TEST_DB=postgres $(BIN)/python -m pytest -m postgres

# The benchmarks as production runs them (production settings, DEBUG off, pages as innbox_app,
# the worker as innbox_worker) on the local PostgreSQL, at sizes that take a few minutes on
# 2 cores; writes docs/performance.md. Full size: see docs/performance.md. The secrets below
# are throw-away values for the benchmark's own databases (innbox_bench_*), nothing real.
BENCH_DB_PREFIX ?= innbox_bench
BENCH_RESERVATIONS ?= 50000
BENCH_CONVERSATIONS ?= 5000
BENCH_REPEAT ?= 20
BENCH_WEBHOOKS ?= 500
BENCH_JOBS ?= 400
BENCH_SENDERS ?= 8,32
bench: export INNBOX_ENV := production
bench: export APP_URL := http://testserver
bench: export SECURE_SSL_REDIRECT := false
bench: export SECRET_KEY := bench-only-secret-key-not-for-any-real-deployment-0123456789
bench: export CREDENTIALS_ENCRYPTION_KEYS := ZGV2LW9ubHktaW5zZWN1cmUtY3JlZGVudGlhbC1rZXk=
bench: export CRON_SECRET := bench-only-cron-secret
bench: export WAHA_BASE_URL := http://127.0.0.1:9
bench: export WAHA_API_KEY := bench-key
bench: export WAHA_WEBHOOK_HMAC_KEY := bench-only-waha-hmac-key
bench: export EMAIL_HOST := 127.0.0.1
bench: export DEFAULT_FROM_EMAIL := Innbox <bench@localhost>
bench: export LOG_LEVEL := WARNING
bench: export DATABASE_URL := postgres://postgres@127.0.0.1:5432/$(BENCH_DB_PREFIX)_dashboard
bench: export BENCH_DB_PREFIX := $(BENCH_DB_PREFIX)
bench: export BENCH_RESERVATIONS := $(BENCH_RESERVATIONS)
bench: export BENCH_CONVERSATIONS := $(BENCH_CONVERSATIONS)
bench: export BENCH_REPEAT := $(BENCH_REPEAT)
bench: export BENCH_WEBHOOKS := $(BENCH_WEBHOOKS)
bench: export BENCH_JOBS := $(BENCH_JOBS)
bench: export BENCH_SENDERS := $(BENCH_SENDERS)
bench: $(VENV)/.installed-dev
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python bench/report.py

APPS := innbox tenancy hotel pms whatsapp messaging automation conversations agent compliance dashboard feedback operations

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(APPS)

# Re-pin after editing pyproject.toml (needs the package index).
lock: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -q --python-version 3.11 -o requirements.lock --no-header --annotation-style line
	$(BIN)/uv pip compile pyproject.toml -q --extra dev --python-version 3.11 -o requirements-dev.lock --no-header --annotation-style line

# deploy/innbox.env.example, the compose env file, from .env.example (tests/test_deploy.py checks it).
deploy-env: $(VENV)/.installed-dev
	$(BIN)/python deploy/env_template.py

clean:
	rm -rf $(VENV) var
