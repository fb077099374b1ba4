#!/usr/bin/env bash
# Builds NurseCare for Windows on this Linux machine and tests it there under Wine:
#   bash scripts/windows.sh test      the core's and the CLI's test suites, built for
#                                     x86_64-pc-windows-gnu and run by Wine (debug build)
#   bash scripts/windows.sh package   release builds of the app and the CLI, the NSIS and MSI
#                                     installers, each tried under Wine
#   bash scripts/windows.sh           both
# Everything comes from Debian's packages: Rust 1.96 with the standard library's source
# (build-std: rustup cannot add targets here), mingw-w64, Wine 8.0, NSIS and wixl. Output under
# target/windows/. Run by .ci/run after the Linux leg.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib.sh
target=x86_64-pc-windows-gnu
export CARGO_TARGET_DIR="$root/target/windows"

install_packages() {
  install_missing \
    rustc-web=/usr/bin/rustc \
    cargo-web=/usr/bin/cargo \
    rust-web-src=/usr/lib/rustlib/src/rust/library/std/Cargo.toml \
    gcc-mingw-w64-x86-64=/usr/bin/x86_64-w64-mingw32-gcc \
    g++-mingw-w64-x86-64=/usr/bin/x86_64-w64-mingw32-g++ \
    wine=/usr/bin/wine \
    wine64=/usr/lib/wine/wine64 \
    nsis=/usr/bin/makensis \
    wixl=/usr/bin/wixl \
    msitools=/usr/bin/msiinfo
}

# Debian's toolchain, not rustup's (which has no Windows std here); build-std needs the
# nightly switch on a stable compiler. The C parts (SQLCipher, OpenSSL) and the resources
# (icons, manifest) go through mingw.
toolchain() {
  export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
  export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
  export CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++
  export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
  export RC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-windres
  export CARGO_INCREMENTAL=0
}

cargo_win() {
  /usr/bin/cargo "$@" -Zbuild-std --target "$target" --locked
}

# The ProcessPrng stub for Wine (tests/windows/bcryptprimitives.c says why); its path.
stub_dll() {
  local dll="$CARGO_TARGET_DIR/bcryptprimitives.dll"
  mkdir -p "$CARGO_TARGET_DIR"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" \
    tests/windows/bcryptprimitives.c tests/windows/bcryptprimitives.def -ladvapi32
  echo "$dll"
}

# A throwaway Wine prefix with the stub.
wine_prefix() {
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  export WINEPREFIX="$CARGO_TARGET_DIR/wine-prefix"
  rm -rf "$WINEPREFIX"
  local dll
  dll=$(stub_dll)
  wineboot -i >/dev/null 2>&1 || true
  cp "$dll" "$WINEPREFIX/drive_c/windows/system32/"
}

run_tests() {
  local start=$(date +%s)
  # The server binary too: the CLI's tests run it as a child process.
  cargo_win build -p nursecare-server --bin nursecare-server
  cargo_win test --no-run -p nursecare-core -p nursecare-cli
  echo "windows: test build took $(($(date +%s) - start)) s"
  wine_prefix
  start=$(date +%s)
  local rc=0
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
    cargo_win test -p nursecare-core -p nursecare-cli --lib --bins --tests --no-fail-fast || rc=$?
  echo "windows: tests under Wine took $(($(date +%s) - start)) s"
  wineserver -k 2>/dev/null || true
  return $rc
}

# What the installed app must do under Wine, which has no WebView2 runtime: say so (stderr,
# the log; the message box returns at once without a display) and exit 4, not crash.
check_installed_app() {
  local exe=$1 rc=0 err
  err=$(mktemp)
  env -u DISPLAY -u WAYLAND_DISPLAY wine "$exe" </dev/null >/dev/null 2>"$err" || rc=$?
  if [ "$rc" -ne 4 ] || ! grep -q "lacks the Microsoft Edge WebView2 Runtime" "$err"; then
    echo "windows: the installed app exited $rc without the WebView2 message:" >&2
    cat "$err" >&2
    return 1
  fi
  echo "windows: the installed app says WebView2 is missing and exits 4"
}
export -f check_installed_app

package() {
  local profile=release-windows start=$(date +%s)
  # The window's UI is compiled into the app: this commit's, never an older build's.
  [ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund --loglevel=error
  npm run --prefix ui build --silent
  cargo_win build --profile "$profile" -p nursecare-desktop -p nursecare-cli \
    --features nursecare-desktop/custom-protocol
  echo "windows: release build took $(($(date +%s) - start)) s"
  local built="$CARGO_TARGET_DIR/$target/$profile" stage="$CARGO_TARGET_DIR/stage"
  rm -rf "$stage" && mkdir -p "$stage"
  cp "$built/nursecare-desktop.exe" "$built/nursecare-cli.exe" "$stage/"
  # The gnu build links WebView2's loader as a DLL, which must sit beside the app (Windows
  # will not start it otherwise); tauri-build copies it only when its build script ran after
  # webview2-com-sys's, so take it from that crate's output.
  local loader
  loader=$(ls "$built"/build/webview2-com-sys-*/out/x64/WebView2Loader.dll 2>/dev/null | head -1)
  [ -n "$loader" ] || { echo "windows: WebView2Loader.dll not found" >&2; exit 1; }
  cp "$loader" "$stage/"
  ls -l "$stage"
  bash scripts/windows-installers.sh "$stage" "$CARGO_TARGET_DIR/installers"
  start=$(date +%s)
  WINE_EXTRA_DLLS="$(stub_dll)" bash scripts/windows-try-installers.sh "$CARGO_TARGET_DIR/installers" check_installed_app
  echo "windows: installers tried under Wine in $(($(date +%s) - start)) s"
}

install_packages
toolchain
case "${1:-all}" in
  test) run_tests ;;
  package) package ;;
  # (Not `run_tests && package`: bash ignores `set -e` inside the left side of &&.)
  all)
    run_tests
    package
    ;;
  *) echo "usage: $0 [test|package]" >&2; exit 2 ;;
esac
