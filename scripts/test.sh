#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, and the workspace's tests (unit tests and the
# server's integration tests against a real server on loopback, real SQLite files, rust_socketio
# and the official Node socket.io client).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --lib --bins --tests
