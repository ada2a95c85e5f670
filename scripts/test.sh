#!/usr/bin/env bash
# Runs every livegate test, the way CI does.
#
#   1. installs the system packages the tests need (when run as root and they are missing),
#   2. prepares the test peers in .test-env/ (Python MCP SDK 1.x and 2.x, the npm reference
#      MCP server),
#   3. cargo fmt --check, cargo clippy -D warnings, and every test in the workspace (the core,
#      then the desktop app); with LIVEGATE_BUNDLE=1 also the desktop app's .deb.
#
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

step() { printf '\n==> %s\n' "$*"; }

# ---- 1. system packages --------------------------------------------------------------
# Build: pkg-config + ALSA headers (midir). Peers: python3-venv (the Python MCP SDK as a real
# agent), nodejs + npm (the reference MCP server as a real upstream).
PACKAGES=(pkg-config libasound2-dev python3-venv jackd2 libjack-jackd2-dev)
# The web UI tests drive a real headless browser over WebDriver.
PACKAGES+=(chromium chromium-driver)
# The desktop app (src-tauri): WebKitGTK, the tray (Ayatana AppIndicator), SVG icons; its tests
# run it under Xvfb with a private D-Bus session bus, dunst as the notification daemon and
# WebKitWebDriver behind tauri-driver.
PACKAGES+=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb dbus-x11 dunst webkit2gtk-driver)
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

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

# ---- 2. test peers (in .test-env/, reused when already there) ---------------------------
export LIVEGATE_TEST_ENV="$PWD/.test-env"
# With this set, tests that need a peer fail instead of skipping when it is missing.
export LIVEGATE_REQUIRE_PEERS=1
mkdir -p "$LIVEGATE_TEST_ENV"
# The official Python MCP SDK: 1.x speaks the handshake revisions, 2.x also 2026-07-28.
for pair in "py-mcp1 mcp==1.30.0" "py-mcp2 mcp==2.3.0"; do
  set -- $pair
  venv="$LIVEGATE_TEST_ENV/$1"
  if ! "$venv/bin/python" -c "import mcp" 2>/dev/null; then
    step "installing $2 into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$2"
  fi
done
# The reference MCP server, as a stdio upstream.
everything="$LIVEGATE_TEST_ENV/npm/node_modules/.bin/mcp-server-everything"
if [ ! -x "$everything" ]; then
  step "installing @modelcontextprotocol/server-everything"
  mkdir -p "$LIVEGATE_TEST_ENV/npm"
  (cd "$LIVEGATE_TEST_ENV/npm" && npm install --silent --no-audit --no-fund @modelcontextprotocol/server-everything@2026.8.31)
fi

# tauri-driver: WebDriver for the desktop app's window (in front of WebKitWebDriver).
if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  step "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# ---- 3. checks and tests -------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (the livegate core)"
cargo test -p livegate --locked
# MIDI against a real MIDI system: the test starts its own JACK server (dummy driver, no sound
# card). JACK keeps a machine-wide registry in /dev/shm; as root the test gets a private
# /dev/shm (a mount namespace) so leftovers from other runs on this machine cannot get in its way.
jack_test=(cargo test --locked --lib --features jack ableton::midi)
if [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
  unshare --mount sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec "$@"' sh "${jack_test[@]}"
else
  "${jack_test[@]}"
fi

# The desktop app (its own step: it builds Tauri and WebKitGTK bindings, which the core never
# needs). Its tests start their own Xvfb, private D-Bus bus and dunst.
step "cargo test (the desktop app)"
cargo test -p livegate-desktop --locked

# The .deb, when asked for (LIVEGATE_BUNDLE=1): on a fresh 2-core machine building tauri-cli
# takes 10 to 17 minutes and the release build about 13, a third of CI's time, so CI leaves it
# out. (The AppImage also needs linuxdeploy from GitHub, which CI cannot reach.)
if [ "${LIVEGATE_BUNDLE:-0}" = 1 ]; then
  if ! command -v cargo-tauri >/dev/null; then
    step "installing tauri-cli"
    cargo install tauri-cli --version '^2' --locked
  fi
  step "cargo tauri build --bundles deb"
  cargo tauri build --bundles deb
  deb=$(ls -t target/release/bundle/deb/livegate_*.deb | head -n 1)
  dpkg-deb --info "$deb" | grep -q 'Package: livegate'
  dpkg-deb --contents "$deb" | grep -q 'usr/bin/livegate-desktop'
  echo "built $deb"
fi
