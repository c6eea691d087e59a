#!/usr/bin/env bash
# Installs the BigQuery emulator the tests start (bqemulator, from PyPI) into its own virtual
# environment, .venv-bqemulator, with the versions in tests/support/bigquery/requirements.txt:
# its pins must not drive Belvedere's own dependencies.
# Quick and silent when the requirements have not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-bqemulator
REQUIREMENTS=tests/support/bigquery/requirements.txt
STAMP="$VENV/.installed"  # a copy of the requirements last installed

if [ -x "$VENV/bin/bqemulator" ] && cmp -s "$REQUIREMENTS" "$STAMP"; then
  touch "$STAMP"
  exit 0
fi

echo "Installing the BigQuery emulator into $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
"$VENV/bin/bqemulator" version >/dev/null
cp "$REQUIREMENTS" "$STAMP"
