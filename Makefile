# FlickList: `make run` serves the app on http://127.0.0.1:5000, `make test` runs the suite.
# Both create .venv and install what they need on a machine with only Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test lint format clean axe bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record what was installed, so a changed pyproject.toml installs again.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/flask --app flicklist db upgrade
	$(BIN)/flask --app flicklist run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# axe-core for the browser tests' accessibility checks (node_modules/ is git-ignored).
# Without npm the checks skip; with CI=true they then fail.
$(AXE): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "make: npm not found: the axe-core accessibility checks will be skipped"; \
	elif npm ci --no-audit --no-fund --silent; then touch $@; \
	else echo "make: npm ci failed: the axe-core checks will be skipped"; \
		[ "$${CI:-}" != "true" ]; fi

axe: $(AXE)

test: $(VENV)/.installed-dev lint axe
	@[ -x "$(CHROMIUM)" ] || echo "make: no Chromium at $(CHROMIUM):" \
		"the browser tests in tests/e2e will be skipped (apt-get install chromium)"
	$(BIN)/pytest

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts node_modules *.egg-info

# Benchmarks (needs wrk: `apt-get install wrk`). Options: make bench BENCH_ARGS=--quick
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { \
		echo "make: wrk not found: install it first (apt-get install wrk)" >&2; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)
