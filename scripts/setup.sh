#!/usr/bin/env bash
# Installs what building and testing NurseCare needs on a fresh Debian machine:
# C tools for the vendored OpenSSL/SQLCipher build, Node for the protocol test client,
# D-Bus and gnome-keyring for the keychain test (a real Secret Service).
# Safe to run again; it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in gcc make perl node npm dbus-daemon gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  pkgs=()
  for t in "${need[@]}"; do
    case "$t" in
      gcc) pkgs+=(build-essential) ;;
      make) pkgs+=(make) ;;
      perl) pkgs+=(perl) ;;
      node | npm) pkgs+=(nodejs npm) ;;
      dbus-daemon) pkgs+=(dbus) ;;
      gnome-keyring-daemon) pkgs+=(gnome-keyring) ;;
    esac
  done
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}"
fi
command -v cargo >/dev/null 2>&1 || {
  echo "setup: cargo is missing; install Rust (rustup) first" >&2
  exit 1
}

# The official socket.io client, for the protocol-compatibility test.
npm ci --prefix server/tests/node --no-audit --no-fund --loglevel=error
