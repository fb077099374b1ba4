#!/usr/bin/env bash
# Makes docs/screenshots/*.png by driving the real app (tauri-driver under Xvfb) against the
# demo server: run on demand after a visible change, then commit the pictures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# ImageMagick's `import` takes the pictures (only here: CI takes none).
command -v import >/dev/null 2>&1 || {
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends imagemagick
}
export PATH="$HOME/.cargo/bin:$PATH"
cargo test --locked -p nursecare-desktop --test e2e screenshots -- --ignored
ls -l docs/screenshots
