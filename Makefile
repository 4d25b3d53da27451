# Developer entry points. `make serve` starts the server, `make test` runs the tests (in two
# worker processes), `make lint` checks style and types. Each creates .venv with python3 when it
# is missing and reinstalls the project only when pyproject.toml is newer than the install stamp.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The tests run in this many pytest-xdist worker processes (0: in this process, one at a time).
# Tests of one module that share a Chromium stay in one worker (--dist loadgroup).
TEST_WORKERS ?= 2
# The tests' temporary files (a SQLite database per test, whose every commit is an fsync) go to
# memory when the machine has /dev/shm.
TEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm)

.PHONY: serve test lint install messages compile

serve: $(STAMP)
	$(BIN)/bridge serve

test: $(STAMP)
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

install: $(STAMP)

# Translations (docs/languages.md): `make messages` extracts every message into the template and
# merges it into each catalogue (new ones empty, changed ones fuzzy: translate them), `make compile`
# compiles the catalogues into the .mo files the bridge reads (committed, so a fresh checkout needs
# no build step; a test fails when a .mo is not what its .po compiles to).
TRANSLATIONS := bridge/translations
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Phrase --no-location --sort-output \
		--project "The bridge" --copyright-holder "The bridge" \
		-o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete

compile: $(STAMP)
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test,production]'
	touch $@
