# Two commands for a fresh Linux machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: run serve test test-sqlite test-postgres lint lock deploy-env clean

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
