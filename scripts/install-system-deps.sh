#!/usr/bin/env bash
# Installs the system packages the test-suite and the leaderboard need: Chromium (browser tests), PostgreSQL
# (database tests), bubblewrap + util-linux (setpriv, prlimit, unshare) + libseccomp2 (the sandbox for uploaded
# models). Idempotent: does nothing when they are already present.
set -euo pipefail
need=()
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v bwrap >/dev/null || need+=(bubblewrap)
{ command -v setpriv && command -v prlimit && command -v unshare; } >/dev/null || need+=(util-linux)
ls /usr/lib/*/libseccomp.so.2 >/dev/null 2>&1 || need+=(libseccomp2)
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
