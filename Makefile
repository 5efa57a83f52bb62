# Two commands on a fresh clone with Python 3.11 or 3.12, gcc and make:
#   make run    creates .venv, installs the pinned dependencies, serves on http://127.0.0.1:8000
#   make test   the same plus test dependencies, then the whole suite
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] < (3,13)))' 2>/dev/null && { echo $$p; break; }; \
	done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench check features clean venv

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 eller 3.12 krävs (durable_rules fungerar inte på 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(BIN)/.test-installed: $(BIN)/.installed requirements-test.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.lock
	@touch $@

venv: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/foraldrastod serve --host $(HOST) --port $(PORT)

check: $(BIN)/.installed
	$(BIN)/foraldrastod check

features: $(BIN)/.installed
	$(BIN)/foraldrastod test

test: $(BIN)/.test-installed
	$(BIN)/python -m pytest

bench: $(BIN)/.test-installed
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
