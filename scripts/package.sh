#!/usr/bin/env bash
# Builds the installers (.deb and .rpm, release build, Tauri bundler), installs the .deb with
# apt, and checks the installed app: it chats with the CLI end to end (the e2e test
# a_nurse_signs_in_and_chats_with_a_patient_on_the_cli, run against /usr/bin/nursecare-desktop),
# then it starts signed in from a profile and paints its list, and after an upgrade to a newer
# .deb the same profile opens again, signed in, with its cache. Run by .ci/run after the tests.
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
# (Downgrades allowed: a second run here finds the previous run's "newer" package installed.)
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --allow-downgrades "./$deb"
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
# The installed app against the demo server: sign in, a live message, a reply, as in the tests.
NURSECARE_APP_BIN="$app" cargo test --workspace --locked -q --test e2e \
  a_nurse_signs_in_and_chats_with_a_patient_on_the_cli
echo "package: the installed app signed in and chatted with the CLI"

# Starts the installed app on the profile; waits for the first paint of its list.
paint() {
  XDG_DATA_HOME="$work/xdg" setsid xvfb-run -a dbus-run-session -- "$app" >"$work/app.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 600); do
    if grep -q "first paint of the conversation list after" "$work/app.log"; then
      grep -o "first paint of the conversation list after [0-9]* ms" "$work/app.log"
      grep -q "account started" "$work/app.log" || { echo "package: the app did not start the account" >&2; cat "$work/app.log" >&2; exit 1; }
      if grep -q "moved aside" "$work/app.log"; then echo "package: the cache was not readable" >&2; cat "$work/app.log" >&2; exit 1; fi
      kill -- -"$app_pid" 2>/dev/null || true
      wait "$app_pid" 2>/dev/null || true
      app_pid=""
      return 0
    fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "package: the installed app did not paint its conversation list; its log:" >&2
  cat "$work/app.log" >&2
  exit 1
}
paint
echo "package: the installed app started signed in and painted its conversation list"

# An upgrade keeps profiles and caches: the same package under a newer version (the binary is
# this build's; the cache's schema migrations are tested in core), installed over it.
caches=$(find "$work/profile" -type f -name 'cache.db' | wc -l)
[ "$caches" -gt 0 ] || { echo "package: no cache in the profile" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
package=$(dpkg-deb -f "$deb" Package)
newer="$work/nursecare-desktop-newer.deb"
dpkg-deb -R "$deb" "$work/unpacked"
sed -i "s/^Version: .*/Version: ${version}+upgrade1/" "$work/unpacked/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/unpacked" "$newer" >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$newer"
[ "$(dpkg-query -W -f '${Version}' "$package")" = "${version}+upgrade1" ] || { echo "package: not upgraded" >&2; exit 1; }
paint
echo "package: after upgrading to ${version}+upgrade1 the same profile opened signed in with its cache"
