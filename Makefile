# The two quick-start commands: `make demo` and `make test`. Both work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint bench messages

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

# Reader-facing messages: extract them from the code and templates into the template catalog, then
# merge it into every language's .po (new messages arrive untranslated; tests/i18n fails until they are
# translated). The .po files are compiled in memory at first use (paidpdf/languages.py): no .mo to build.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header --sort-by-file \
		-o paidpdf/locales/messages.pot paidpdf
	$(BIN)/pybabel update -i paidpdf/locales/messages.pot -d paidpdf/locales --no-fuzzy-matching \
		--ignore-obsolete
