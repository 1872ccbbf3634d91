# The two quick-start commands: `make demo` and `make test`. Both work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	scripts/install-system-deps
	npm install --prefix $(VENV)/axe --no-save --no-audit --no-fund --loglevel=error axe-core@4.14.1

demo: install
	$(BIN)/paidpdf demo

test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
