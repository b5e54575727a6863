# HTX Trace: everyday commands. Needs only Python >= 3.11 and GNU make.
#   make run     serve the app on http://127.0.0.1:8000 (SQLite in instance/ unless DATABASE_URL)
#   make test    the whole test suite (SQLite unless TEST_DATABASE_URL), one worker per core
#   make bench   throughput of the hot paths against the framework ceiling -> bench/RESULTS.md
#   make lint    ruff
#   make lock    regenerate requirements/*.lock after editing pyproject.toml dependencies

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BIND ?= 127.0.0.1:8000
WORKERS ?= 2
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto

export FLASK_APP := app:create_app
FLASK := $(BIN)/flask

# The stamps record that the venv holds exactly what a lock file says; they are rebuilt when
# the lock or pyproject.toml changes, so a second `make test` starts straight away.
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help run test bench lint lock install install-dev translations assets db-upgrade clean

help:
	@echo "make run    serve on http://$(BIND) (migrates, loads places, seeds demo data if empty)"
	@echo "make test   run the whole test suite"
	@echo "make bench  benchmarks, appended to bench/RESULTS.md"
	@echo "make lint   ruff check"
	@echo "make lock   regenerate requirements/base.lock and requirements/dev.lock"
	@echo "make clean  remove the virtualenv, compiled translations and built static files"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"HTX Trace needs Python 3.11 or newer; set PYTHON=python3.11 (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)

$(BASE_STAMP): requirements/base.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/base.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(DEV_STAMP): requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@ $(BASE_STAMP)

install: $(BASE_STAMP)
install-dev: $(DEV_STAMP)

# Compiled catalogs (.mo) are build output, not committed.
translations: $(BASE_STAMP)
	@if [ -f scripts/i18n.sh ]; then \
		PYBABEL=$(BIN)/pybabel bash scripts/i18n.sh compile; \
	elif ls app/translations/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d app/translations; \
	else \
		echo "translations: no catalogs in app/translations yet; the UI falls back to msgids"; \
	fi

# Fingerprinted copies of static/ files, their .gz and .br, and static/cache_manifest.json
# (Flask-Static-Digest; app/static_files.py serves them): build output, not committed. Redone
# when a source file changes, appears or goes; without them the app serves the plain names.
STATIC_SOURCES := $(shell find static -type f -regextype posix-extended \
	! -name '*.gz' ! -name '*.br' ! -name cache_manifest.json ! -regex '.*-[0-9a-f]{32}(\..*)?')
static/cache_manifest.json: $(STATIC_SOURCES) $(shell find static -type d) $(BASE_STAMP)
	$(FLASK) digest clean >/dev/null
	$(FLASK) digest compile
assets: static/cache_manifest.json

db-upgrade: install
	$(FLASK) db upgrade

run: install translations assets db-upgrade
	$(FLASK) places load
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn --bind $(BIND) --workers $(WORKERS) --worker-class sync \
		--access-logfile - 'app:create_app()'

# One pytest-xdist worker per core, each on a database of its own (tests/conftest.py); the
# browser tests share one worker, as do the tests of the shared demo country (loadgroup).
# PYTEST_WORKERS=0 runs the suite in a single process.
# Bytecode is cached even where the environment says PYTHONDONTWRITEBYTECODE: every worker, and
# every app process a test starts, would otherwise compile the app and the tests again (seconds
# of CPU each); the caches are git-ignored.
test: install-dev translations assets
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: install translations assets
	$(BIN)/python bench/run.py

lint: install-dev
	$(BIN)/ruff check .

# uv resolves for every platform (--universal) and Python >= 3.11; the output installs with
# plain pip. uv runs from a throwaway venv unless one is already at $(BIN)/uv or UV=... is set.
# Pins already in the lock files are kept; `make lock LOCK_ARGS=--upgrade` takes newer releases.
UV ?= $(wildcard $(BIN)/uv)
UV_COMPILE = pip compile pyproject.toml --python-version 3.11 --universal --no-header --quiet
lock:
	@set -e; uv="$(UV)"; tmp=""; \
	if [ -z "$$uv" ]; then \
		tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		$(PYTHON) -m venv "$$tmp"; "$$tmp/bin/python" -m pip install --quiet uv; \
		uv="$$tmp/bin/uv"; \
	fi; \
	mkdir -p requirements; \
	"$$uv" $(UV_COMPILE) $(LOCK_ARGS) -o requirements/base.lock; \
	"$$uv" $(UV_COMPILE) $(LOCK_ARGS) --extra dev -c requirements/base.lock -o requirements/dev.lock; \
	echo "requirements/base.lock and requirements/dev.lock regenerated"

clean:
	rm -rf $(VENV)
	find app/translations -name '*.mo' -delete 2>/dev/null || true
	find static -regextype posix-extended \( -name '*.gz' -o -name '*.br' \
		-o -name cache_manifest.json -o -regex '.*-[0-9a-f]{32}(\..*)?' \) -delete
