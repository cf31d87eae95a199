#!/usr/bin/env bash
# Installs the system packages the test-suite needs: Chromium (browser tests) and PostgreSQL (database tests).
# Idempotent: does nothing when they are already present.
set -euo pipefail
need=()
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "brainmark: please install these system packages (as root): ${need[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -q --no-install-recommends --no-upgrade "${need[@]}"
