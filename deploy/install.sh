#!/usr/bin/env bash
# Install or upgrade Schnittstellen in this checkout for production (README: Production,
# Upgrading); `make install` runs it. Running it again is the upgrade: every step is safe to
# repeat and does only what the checked-out release needs.
#   1. .venv with the newest of python3.13, 3.12 and 3.11 that can make one (PYTHON= chooses);
#      made again when that Python's version differs from the venv's (e.g. after a Debian
#      upgrade) or the venv is broken;
#   2. pip install --require-hashes -r requirements.lock: exactly the locked files;
#   3. the translations compiled (the UI is German by default; the .mo files are not in git);
#   4. flask db upgrade on DATABASE_URL;
#   5. flask doctor --before-start: keys, translations, database, migrations. Once the web
#      server and the workers run, `flask --app app doctor` checks Redis, workers and the
#      scheduler too.
# The flask steps run through deploy/flask, with the services' environment: ENV_FILE (default
# /etc/schnittstellen/env) over the caller's. Run it as root (the env file is root's) or as
# the checkout's owner with ENV_FILE set; never with the services running the old release
# (README, Upgrading).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install: $*"; }

# 1. The venv.
if [ -z "${PYTHON:-}" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if "$candidate" -c "import venv, ensurepip" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if [ -z "${PYTHON:-}" ]; then
  say "no Python 3.11 to 3.13 with venv found: apt-get install python3-venv"
  exit 1
fi
version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true; }
wanted=$(version "$PYTHON")
case "$wanted" in
  3.11|3.12|3.13) ;;
  *) say "$PYTHON is Python ${wanted:-?}; Schnittstellen runs on 3.11 to 3.13 (PYTHON=...)"; exit 1 ;;
esac
if [ -d .venv ] && [ "$(version .venv/bin/python)" != "$wanted" ]; then
  say "the venv is not Python $wanted (or is broken): making it again"
  rm -rf .venv
fi
if [ ! -d .venv ]; then
  say "venv with $PYTHON (Python $wanted)"
  "$PYTHON" -m venv .venv || { rm -rf .venv; say "apt-get install python3-venv"; exit 1; }
fi

# 2. The locked dependencies, each file checked against its hash.
say "pip install --require-hashes -r requirements.lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r requirements.lock

# 3. The translations.
say "translations"
.venv/bin/pybabel -q compile -d webapp/translations -D messages

# 4. The database.
say "flask db upgrade"
deploy/flask db upgrade

# 5. The check.
deploy/flask doctor --before-start
say "Schnittstellen $(cat VERSION) installed. Start the web server and the workers, then" \
    "check: deploy/flask doctor, and GET /ready"
