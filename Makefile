# Loupe: `make run` serves the embedded default; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LOCK_HASH := $(shell cat requirements.lock | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(LOCK_HASH)

.PHONY: setup run run-scaled nginx test lint typecheck browser

setup: $(STAMP)

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

run: setup
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py bootstrap_demo --url http://$(HOST):$(PORT)
	exec $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The scale-out layout on this machine: PostgreSQL, Redis, 2 Daphne processes behind nginx,
# separate task workers and housekeeping (deploy/run_scaled.py).
run-scaled: setup nginx
	exec $(BIN)/python deploy/run_scaled.py

nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	  else echo "nginx is missing: run 'sudo apt-get install nginx-light'" >&2; exit 1; fi; }

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

test: setup browser
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy .
