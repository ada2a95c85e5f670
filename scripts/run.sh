#!/usr/bin/env bash
# Runs livegate (`cargo run --release -- ARGS`), first installing the system packages it builds
# against on Debian/Ubuntu when they are missing. With no ARGS livegate serves (`livegate serve`):
# it loads the policy, reports what it allows, and applies every edit to the policy file live.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" = Linux ] && command -v dpkg-query >/dev/null; then
  missing=()
  for p in pkg-config libasound2-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "==> installing ${missing[*]} (needed to build livegate's MIDI support)"
    $sudo apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi
exec cargo run --release -- "$@"
