#!/usr/bin/env bash
# Sets up and runs every test: formatting and lints (Rust and the UI), the UI's tests
# (Vitest), and the workspace's tests: unit tests, the server's integration tests against a
# real server on loopback, real SQLite files, rust_socketio and the official Node socket.io
# client, and the desktop app end to end in a real WebKit window under Xvfb (tauri-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo fmt --all -- --check
npm run --prefix ui typecheck --silent
npm run --prefix ui lint --silent
npm run --prefix ui test --silent
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --lib --bins --tests
