#!/usr/bin/env bash
# Measures the desktop app (release build), signed in to a local demo server with 10,000
# messages in its cache, and prints figures (medians of RUNS runs, default 5). Not run in CI.
#
#   bash scripts/measure-app.sh [RUNS]
#   PARTS="flood" bash scripts/measure-app.sh 3    # only some of: paint idle flood search
#   APP_ENV="NAME=value" PARTS=paint bash scripts/measure-app.sh 1   # an option tried
#
# - first paint: the app's own log line "first paint of the conversation list after N ms"
#   (process start to the list painted from the cache), cold process, warm disk cache;
# - memory: summed PSS (/proc/PID/smaps_rollup) of the app and its WebKit processes, 60 s after
#   start, window shown, the list painted;
# - idle CPU: the app and its WebKit processes over 60 s, started --hidden, after 10 s to settle;
# - 10,000 messages received live while the thread is open (the release app driven by
#   tauri-driver: tests/e2e's measure_ten_thousand_live_messages_in_the_open_thread): the PSS
#   they add and the longest gap between painted frames;
# - search as you type with 100,000 messages cached (tests/e2e/search.rs, the release app):
#   keystroke → that query's results painted, median and p95 (once: it takes minutes);
# - the .deb's size (built by scripts/package.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in Xvfb dbus-launch tauri-driver bc; do
  command -v "$tool" >/dev/null || { echo "measure-app.sh needs $tool (apt: xvfb dbus-x11 bc; cargo install tauri-driver)" >&2; exit 1; }
done
runs="${1:-5}"
settle="${SETTLE_SECS:-60}"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -p nursecare-server -p nursecare-cli
cargo build --release --locked -p nursecare-core --example flood
cargo build --release --locked -p nursecare-desktop --features custom-protocol
bin=target/release
parts="${PARTS:-paint idle flood search}"
has() { [[ " $parts " == *" $1 "* ]]; }
# A Tauri hello world of the same Tauri version (scripts/hello-tauri), measured the same way.
has paint && cargo build --release --locked --manifest-path scripts/hello-tauri/Cargo.toml --target-dir target/hello-tauri

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server="http://127.0.0.1:$port"
# (The per-socket event rate lifted: the flood is a load generator, not an attack.)
"$bin/nursecare-server" --demo --bind "127.0.0.1:$port" --db "$work/server.db" --socket-events-per-second 100000 >/dev/null 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

cli() { local who=$1; shift; "$bin/nursecare-cli" --server "$server" --profile "$work/$who" --secret-store file "$@"; }
NURSECARE_PASSWORD=nursecare-demo cli nurse login --email amara.okafor@nursecare.test >/dev/null
NURSECARE_PASSWORD=nursecare-demo cli patient login --email chloe.martin@nursecare.test >/dev/null
conv=$(cli patient --json conversations | python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin) if c["other"]["email"]=="amara.okafor@nursecare.test"))')

# 10,000 messages reach the nurse's cache live (as they would over a shift).
# (The binary itself in the background, not the `cli` function: a killed subshell would leave
# it running, holding the nurse's cache.)
"$bin/nursecare-cli" --server "$server" --profile "$work/nurse" --secret-store file watch --for 600 >/dev/null &
watch_pid=$!
pids+=($watch_pid)
"target/release/examples/flood" "$server" "$work/patient" "$conv" 10000
until [ "$(cli patient --json history "$conv" --limit 1 --offline | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["content"].startswith("Load message 10000 of 10000:"))')" = True ]; do sleep 0.5; done
sleep 3
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
echo "cache: $(cli nurse --json history "$conv" --limit 20000 --offline | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') messages in the nurse's conversation with Chloe"

# A display and a session bus of our own, so the app's processes are our children.
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
pids+=($!)
eval "$(dbus-launch --sh-syntax)"
pids+=("$DBUS_SESSION_BUS_PID")
export DISPLAY="$display" NURSECARE_SERVER="$server" NURSECARE_PROFILE="$work/nurse" NURSECARE_SECRET_STORE=file
export XDG_DATA_HOME="$work/xdg-data" XDG_CONFIG_HOME="$work/xdg-config" XDG_CACHE_HOME="$work/xdg-cache"

tree() { # the app and its descendants
  local all=("$1") frontier=("$1")
  while ((${#frontier[@]})); do
    local next=()
    for p in "${frontier[@]}"; do
      for c in $(pgrep -P "$p" || true); do all+=("$c"); next+=("$c"); done
    done
    frontier=("${next[@]}")
  done
  echo "${all[@]}"
}
pss_mb() { local sum=0; for p in $(tree "$1"); do
  v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0); sum=$((sum + ${v:-0})); done
  echo "scale=1; $sum / 1024" | bc; }
ticks() { local sum=0; for p in $(tree "$1"); do
  v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); sum=$((sum + ${v:-0})); done; echo "$sum"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

paints=(); mems=(); hellos=()
has paint && for r in $(seq "$runs"); do
  # APP_ENV="NAME=value ...": options tried on the app alone (not the hello world).
  env ${APP_ENV:-} "$bin/nursecare-desktop" >"$work/app-$r.log" 2>&1 &
  app=$!
  for _ in $(seq 300); do grep -q "first paint of the conversation list" "$work/app-$r.log" && break; sleep 0.1; done
  paint=$(grep -o "first paint of the conversation list after [0-9]*" "$work/app-$r.log" | grep -o "[0-9]*$" || echo "")
  sleep "$settle"
  mem=$(pss_mb "$app")
  kill "$app"; wait "$app" 2>/dev/null || true
  echo "run $r: first paint ${paint:-none} ms, PSS ${mem} MB after ${settle} s"
  # Where the time went: each start-up step the app logs once (ms since the process began).
  steps=$(grep -o 'start-up step="[^"]*" ms=[0-9]*' "$work/app-$r.log" | sed 's/start-up step="\([^"]*\)" ms=\([0-9]*\)/\2 ms \1/' | paste -sd ';' -)
  echo "  steps: ${steps:-none logged}"
  paints+=("${paint:-99999}"); mems+=("$mem")
  target/hello-tauri/release/hello-tauri >"$work/hello-$r.log" 2>&1 &
  hello=$!
  sleep "$settle"
  hmem=$(pss_mb "$hello")
  kill "$hello"; wait "$hello" 2>/dev/null || true
  echo "  the Tauri hello world: PSS ${hmem} MB after ${settle} s"
  hellos+=("$hmem")
done

cpus=()
hz=$(getconf CLK_TCK)
has idle && for r in $(seq "$runs"); do
  "$bin/nursecare-desktop" --hidden >"$work/hidden-$r.log" 2>&1 &
  app=$!
  sleep 10
  t0=$(ticks "$app"); sleep "$settle"; t1=$(ticks "$app")
  cpu=$(echo "scale=3; ($t1 - $t0) * 100 / ($hz * $settle)" | bc)
  kill "$app"; wait "$app" 2>/dev/null || true
  echo "run $r: idle CPU ${cpu}% of one core over ${settle} s (hidden)"
  cpus+=("$cpu")
done

has flood && echo && echo "${FLOOD_N:-10000} live messages in the open thread (release app, tauri-driver; FLOOD_N to change):"
has flood && for r in $(seq "$runs"); do
  NURSECARE_APP_BIN="$PWD/$bin/nursecare-desktop" NURSECARE_FLOOD_BIN="$PWD/$bin/examples/flood" \
    cargo test --locked -q -p nursecare-desktop --test e2e measure_ten_thousand -- --ignored --nocapture 2>/dev/null |
    grep "^live " || echo "run $r failed"
done

has search && echo && echo "search as you type (release app, tauri-driver; SEARCH_N to change the 100,000):"
has search && {
  NURSECARE_APP_BIN="$PWD/$bin/nursecare-desktop" NURSECARE_FLOOD_BIN="$PWD/$bin/examples/flood" \
    cargo test --locked -q -p nursecare-desktop --test e2e measure_search -- --ignored --nocapture 2>/dev/null |
    grep "^search " || echo "the search measurement failed"
}

echo
echo "median of $runs runs:"
has paint && echo "  first paint of the conversation list: $(printf '%s\n' "${paints[@]}" | median) ms (goal < 500)"
if has paint; then
  m=$(printf '%s\n' "${mems[@]}" | median); h=$(printf '%s\n' "${hellos[@]}" | median)
  echo "  memory, PSS of the app and WebKit after ${settle} s: $m MB (goal < 200), the Tauri hello world's: $h MB, ratio $(echo "scale=2; $m / $h" | bc) (goal <= 0.8)"
fi
has idle && echo "  idle CPU, hidden, over ${settle} s: $(printf '%s\n' "${cpus[@]}" | median)% of one core (goal < 0.5)"
deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] && echo "  .deb: $(du -h --apparent-size "$deb" | cut -f1) ($deb; goal < 12 MB)"
