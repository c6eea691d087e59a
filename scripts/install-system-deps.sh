#!/usr/bin/env bash
# Installs system packages from Debian's repositories when they are missing:
#   --run   Node.js and npm (they build the front-end bundle);
#   (none)  the same, plus what the tests use: PostgreSQL (the tests start their own server on
#           loopback), Redis (the same, for Celery workers and shared results) and
#           Chromium (browser tests).
# Quick and silent when everything is already there.
set -euo pipefail

missing=()
command -v npm >/dev/null || missing+=(nodejs npm)
if [ "${1:-}" != "--run" ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
