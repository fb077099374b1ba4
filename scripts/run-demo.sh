#!/usr/bin/env bash
# The README's first command: sets up everything on a fresh Debian machine, starts the local
# server with demo data, signs the demo nurse Amara Okafor into a demo profile (with the
# CLI: the app and the CLI share profiles), and opens the app on it. The patient side can be
# played from another terminal with nursecare-cli (README). Ctrl+C (or quitting the app)
# stops the server too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked -p nursecare-server -p nursecare-cli -p nursecare-desktop

demo="${NURSECARE_DEMO_DIR:-$PWD/target/demo}"
mkdir -p "$demo"
server=http://127.0.0.1:3001
./target/debug/nursecare-server --demo --bind 127.0.0.1:3001 --db "$demo/server.db" \
  2>"$demo/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/3001) 2>/dev/null && break
  sleep 0.1
done

# The demo profile keeps its token in a file (mode 600) so the demo needs no keychain.
cli=(./target/debug/nursecare-cli --server "$server" --profile "$demo/nurse" --secret-store file)
NURSECARE_PASSWORD=nursecare-demo "${cli[@]}" login --email amara.okafor@nursecare.test

launch=(./target/debug/nursecare-desktop --server "$server" --profile "$demo/nurse" --secret-store file)
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no display; running the app under Xvfb (apt install xvfb)"
  launch=(xvfb-run -a "${launch[@]}")
fi
"${launch[@]}"
