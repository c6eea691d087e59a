# Two commands on a fresh machine: `make run` serves Belvedere on the demo, `make test` runs
# every test. Both install what they need and are quick when nothing changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := frontend/node_modules/.package-lock.json
BQEMU_STAMP := .venv-bqemulator/.installed
ASSETS := src/belvedere/web/static/build/app.js
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/build.mjs

.PHONY: run test check lint typecheck pytest jstest bench build system-deps bqemulator readme clean

run: $(RUN_STAMP) $(ASSETS)
	$(BIN)/belvedere serve

test: $(TEST_STAMP) $(ASSETS) system-deps bqemulator check jstest pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	bash scripts/install-system-deps.sh --run
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd frontend && node build.mjs

build: $(ASSETS)

system-deps:
	bash scripts/install-system-deps.sh

# The BigQuery emulator the tests start, in its own venv (its pins stay out of Belvedere's).
bqemulator: $(BQEMU_STAMP)

$(BQEMU_STAMP): tests/support/bigquery/requirements.txt scripts/install-bqemulator.sh
	PYTHON=$(PYTHON) bash scripts/install-bqemulator.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

check: lint typecheck

# Two processes (pytest-xdist), a test file each at a time. The browser tests run on their own
# after the rest: Playwright's sync API keeps an event loop running in the process that used it,
# which the other tests' own event loops cannot share.
TEST_PROCESSES ?= 2
pytest: $(TEST_STAMP) $(ASSETS) system-deps bqemulator
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile --durations=20 -m "not e2e"
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile --durations=20 -m e2e

# Unit tests of the browser's pure modules (formatting, dialects, chart drafts, markdown...).
jstest: $(NODE_STAMP)
	cd frontend && node --test test/

bench: $(TEST_STAMP) $(ASSETS)
	$(BIN)/python -m bench

readme: $(RUN_STAMP)
	$(BIN)/python scripts/sync-readme-settings.py

clean:
	rm -rf $(VENV) .venv-bqemulator frontend/node_modules src/belvedere/web/static/build
