#!/usr/bin/env bash
# Builds the installers (.deb and .rpm, release build, Tauri bundler), installs the .deb with
# apt, and starts the installed app under Xvfb, signed in to the demo server, until it logs
# the first paint of its conversation list. Run by .ci/run after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

npx --no-install tauri build --bundles deb,rpm --ci
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
rpm=$(ls -t target/release/bundle/rpm/*.rpm | head -1)
echo "package: $(du -h "$deb" | cut -f1) $deb"
echo "package: $(du -h "$rpm" | cut -f1) $rpm"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "./$deb"
app=/usr/bin/nursecare-desktop
[ -x "$app" ] || { echo "package: $app not installed" >&2; exit 1; }

# The installed app against the demo server, signed in by the CLI into a throwaway profile.
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/debug/nursecare-server --demo --bind "127.0.0.1:$port" --db "$work/server.db" 2>"$work/server.log" &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  [ -n "${app_pid:-}" ] && kill -- -"$app_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export NURSECARE_SERVER="http://127.0.0.1:$port" NURSECARE_PROFILE="$work/profile" NURSECARE_SECRET_STORE=file
NURSECARE_PASSWORD=nursecare-demo ./target/debug/nursecare-cli login --email amara.okafor@nursecare.test
XDG_DATA_HOME="$work/xdg" setsid xvfb-run -a dbus-run-session -- "$app" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 600); do
  if grep -q "first paint of the conversation list after" "$work/app.log"; then
    grep -o "first paint of the conversation list after [0-9]* ms" "$work/app.log"
    echo "package: the installed app started and painted its conversation list"
    exit 0
  fi
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
echo "package: the installed app did not paint its conversation list; its log:" >&2
cat "$work/app.log" >&2
exit 1
