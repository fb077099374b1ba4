#!/usr/bin/env bash
# Measures the lock in the real window (tests/e2e's measure_lock_and_unlock): Ctrl+L until the
# lock screen is painted, and the PIN submitted until the conversation list is painted (Argon2id
# at 64 MiB and 3 passes included), RUNS times (default 7); prints each run and the medians.
# Against the debug app by default; `RELEASE=1` builds and measures the release app. Not run in CI.
#
#   bash scripts/measure-lock.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUNS="${1:-7}"
npm run --prefix ui build >/dev/null
if [ "${RELEASE:-}" = 1 ]; then
  cargo build --release --locked -p nursecare-desktop --features custom-protocol
  export NURSECARE_APP_BIN="$PWD/target/release/nursecare-desktop"
fi
cargo test --locked -p nursecare-desktop --test e2e measure_lock_and_unlock -- --ignored --nocapture 2>&1 \
  | grep -E '^(run [0-9]|median)'
