# Privacy Portal. `make run` starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test test-future fuzz lint format migrations-check bench lock clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
	  || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)."; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "The venv module is missing: installing python3-venv (Debian)."; \
	  apt-get install -y -q python3-venv >/dev/null || sudo apt-get install -y -q python3-venv; \
	  $(PYTHON) -m venv $(VENV); }
	@$(BIN)/pip install -q --upgrade pip

# WeasyPrint (letters and packets) needs Pango, and the letters need a font with Cyrillic: DejaVu.
$(VENV)/.system: | $(VENV)/bin/python
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! fc-list 2>/dev/null | grep -q 'DejaVu Sans'; then \
	  echo "Installing Pango and the DejaVu fonts for PDF letters (Debian packages)."; \
	  pkgs="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -q $$pkgs >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -q $$pkgs >/dev/null; fi; \
	fi
	@touch $@

$(VENV)/.base: requirements/base.lock | $(VENV)/bin/python $(VENV)/.system
	$(BIN)/pip install -q --require-hashes -r requirements/base.lock
	@touch $@

$(VENV)/.dev: requirements/dev.lock | $(VENV)/bin/python $(VENV)/.system
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	@touch $@ $(VENV)/.base

# Embedded by default: SQLite (WAL) and the filesystem broker under var/, DEBUG on, a generated key.
run: export DEBUG ?= true
# Links in emails and the banner follow the port the web process serves on.
run: export WEB_PORT ?= 8000
run: export PORTAL_BASE_URL ?= http://127.0.0.1:$(WEB_PORT)
# The demo's Zoho CRM is the simulator the Procfile starts on this port (docs/zoho.md, "The demo").
run: export ZOHO_SIM_PORT ?= 8765
# The demo's privacy mailbox: a Maildir the worker's mailbox sweep reads every minute (docs/mailbox.md, "The demo").
run: export MAILBOX_MAILDIR ?= var/demo-mailbox
run: $(VENV)/.base
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo --zoho-url http://127.0.0.1:$(ZOHO_SIM_PORT)
	$(BIN)/honcho start -f Procfile

test: $(VENV)/.dev
	$(BIN)/pytest

# The suite again with the clock 400 days ahead: a test that depends on today's date fails here first. Tests that
# talk to a process keeping the real clock (a worker, a browser) are left out (tests/clock.py).
test-future: $(VENV)/.dev
	$(BIN)/pytest --clock-offset-days=400 -m "not real_clock"

# Schemathesis on every API operation against a live server, from a virtualenv of its own (.venv-tools):
# it needs the PyPI `requests`, which never goes into .venv (docs/development.md, "The `requests` name").
fuzz: $(VENV)/.base
	.ci/fuzz

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: $(VENV)/.dev
	DJANGO_SETTINGS_MODULE=privacyportal.test_settings $(BIN)/python manage.py makemigrations --check --dry-run

# Every bench/bench_*.py, one at a time, then one table; fails if any budget is missed (docs/benchmarks.md).
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

# Rewrite the lock files from pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.lock

clean:
	rm -rf $(VENV) var
