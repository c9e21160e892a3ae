# The two set-up commands of the README are `make demo` and `make test`; everything they need
# is installed from pyproject.toml (PyPI) and package.json (npm registry), pinned.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-dev assets lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

install: $(VENV)/.installed assets

install-dev: $(VENV)/.dev-installed assets

## Install and run chainwatch on the demo province at http://127.0.0.1:8000
demo: install
	$(BIN)/chainwatch demo

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

## Install and run every check: lint, types, unit, integration and browser tests
test: install-dev lint typecheck
	$(BIN)/pytest -q

bench: install-dev
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) node_modules chainwatch-data .pytest_cache .mypy_cache .ruff_cache
