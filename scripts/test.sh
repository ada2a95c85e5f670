#!/usr/bin/env bash
# Runs every livegate test, the way CI does.
#
#   1. installs the system packages the tests need (when run as root and they are missing),
#   2. prepares the test peers (Python MCP SDK venv, npm reference server) in .test-env/,
#   3. cargo fmt --check, cargo clippy -D warnings, and every test in the workspace.
#
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

step() { printf '\n==> %s\n' "$*"; }

# ---- 1. system packages --------------------------------------------------------------
# Build: pkg-config + ALSA headers (midir), JACK headers (midir's jack feature for the MIDI test).
# Run: jackd2 (a JACK server with a dummy driver: real MIDI ports without a sound card),
#      python3-venv (Python MCP SDK as a real agent).
PACKAGES=(pkg-config libasound2-dev libjack-jackd2-dev jackd2 python3-venv)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
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

# ---- 2. test peers -------------------------------------------------------------------
mkdir -p "$ROOT/.test-env"
export LIVEGATE_TEST_ENV="$ROOT/.test-env"
# With this set, tests that need a peer fail (instead of skipping) when it is missing.
export LIVEGATE_REQUIRE_PEERS=1

# ---- 3. checks and tests -------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
