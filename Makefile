# The README's commands. Each one sets itself up on a fresh machine (Python 3.11+ and make).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/swim

.PHONY: demo test test-postgres lint format serve worker lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: requirements/demo.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/demo.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements/test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.demo-installed

## demo: set up, load the sample data and serve the app with a background worker
demo: $(VENV)/.demo-installed
	$(BIN)/swim migrate --noinput
	$(BIN)/swim load_demo
	@echo ""
	@echo "SWiM is running at http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	@trap 'kill 0' EXIT; \
	  $(BIN)/swim db_worker --no-reload --verbosity 0 & \
	  $(BIN)/swim runserver 127.0.0.1:$(PORT) --noreload

## test: set up and run everything: lint, types, Django checks, migrations, pytest
test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy swim
	$(BIN)/swim check
	$(BIN)/swim makemigrations --check --dry-run
	$(BIN)/pytest

## test-postgres: the pytest suite again, on the PostgreSQL server at PG_URL
test-postgres: $(VENV)/.test-installed
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve: $(VENV)/.demo-installed
	$(BIN)/swim runserver 127.0.0.1:$(PORT)

worker: $(VENV)/.demo-installed
	$(BIN)/swim db_worker

## lock: re-resolve the pinned versions from pyproject.toml
lock: $(VENV)/.test-installed
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements/demo.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra dev -o requirements/test.lock pyproject.toml
	# CPU torch: pin the public version; pip on Python 3.11 takes the CPU build served locally.
	sed -i 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' requirements/test.lock

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
