#!/usr/bin/env bash
# Makes docs/screenshots/*.png by driving the real app (tauri-driver under Xvfb) against the
# demo server: run on demand after a visible change, then commit the pictures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo test --locked -p nursecare-desktop --test e2e screenshots -- --ignored
ls -l docs/screenshots
