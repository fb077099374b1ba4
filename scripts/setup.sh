#!/usr/bin/env bash
# Installs what building and testing NurseCare needs on a fresh Debian machine: C tools for
# the vendored OpenSSL/SQLCipher build; Node for the UI and the protocol test client; D-Bus and
# gnome-keyring for the keychain test (a real Secret Service); WebKitGTK and friends for the
# Tauri app; Xvfb, WebKitWebDriver and tauri-driver for its end-to-end tests. Then the npm
# packages (npm ci) and the UI's build, which the app embeds.
# Safe to run again; it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, each with a file that tells whether it is there.
source scripts/lib.sh
install_missing \
  build-essential=/usr/bin/gcc \
  make=/usr/bin/make \
  perl=/usr/bin/perl \
  nodejs=/usr/bin/node \
  npm=/usr/bin/npm \
  dbus=/usr/bin/dbus-daemon \
  gnome-keyring=/usr/bin/gnome-keyring-daemon \
  pkg-config=/usr/bin/pkg-config \
  libwebkit2gtk-4.1-dev=/usr/lib/x86_64-linux-gnu/pkgconfig/webkit2gtk-4.1.pc \
  libxdo-dev=/usr/include/xdo.h \
  libayatana-appindicator3-dev=/usr/lib/x86_64-linux-gnu/pkgconfig/ayatana-appindicator3-0.1.pc \
  librsvg2-dev=/usr/lib/x86_64-linux-gnu/pkgconfig/librsvg-2.0.pc \
  xvfb=/usr/bin/Xvfb \
  xauth=/usr/bin/xauth \
  webkit2gtk-driver=/usr/bin/WebKitWebDriver \
  xdotool=/usr/bin/xdotool
command -v cargo >/dev/null 2>&1 || {
  echo "setup: cargo is missing; install Rust (rustup) first" >&2
  exit 1
}

# The W3C WebDriver front for Tauri apps (drives WebKitWebDriver), for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --version 2.1.0 --quiet
fi

# npm packages: the official socket.io client (protocol-compatibility test), the Tauri CLI
# (bundles, icons) and the UI's.
npm ci --prefix server/tests/node --no-audit --no-fund --loglevel=error
npm ci --no-audit --no-fund --loglevel=error
npm ci --prefix ui --no-audit --no-fund --loglevel=error

# The UI the app embeds (it must exist before the app compiles).
npm run --prefix ui build --silent
