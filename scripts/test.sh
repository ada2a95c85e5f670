#!/usr/bin/env bash
# Runs every livegate test, the way CI does.
#
#   1. installs the system packages the tests need (when run as root and they are missing),
#   2. cargo fmt --check, cargo clippy -D warnings, and every test in the workspace.
#
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

step() { printf '\n==> %s\n' "$*"; }

# ---- 1. system packages --------------------------------------------------------------
# Build: pkg-config + ALSA headers (midir). Later test peers (JACK for MIDI, a Python MCP
# client, a browser) add their packages here as their tests arrive.
PACKAGES=(pkg-config libasound2-dev)

missing=()
if command -v dpkg-query >/dev/null; then # Debian/Ubuntu; elsewhere (macOS) nothing is needed
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "missing system packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# ---- 2. checks and tests -------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
