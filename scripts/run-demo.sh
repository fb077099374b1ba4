#!/usr/bin/env bash
# Sets up and runs the NurseCare server with demo data on http://127.0.0.1:3001
# (the desktop app does not exist yet). Extra arguments go to nursecare-server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo run --release --locked -p nursecare-server -- --demo "$@"
