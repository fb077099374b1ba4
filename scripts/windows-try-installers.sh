#!/usr/bin/env bash
# Tries the Windows installers built by scripts/windows-installers.sh under Wine, unattended:
#   bash scripts/windows-try-installers.sh <out-dir> [<check-command>]
# In a throwaway WINEPREFIX, for the NSIS setup and then the MSI: silently installs an older
# build (made here from the binaries inside the MSI, plus an obsolete DLL), a fake user
# profile, the real installer over it (upgrade), checks files, Start-menu shortcut and its
# AppUserModelID, the uninstall entry, runs the installed app, uninstalls silently and checks
# that the program went and the profile stayed. One line per check; exits 1 on the first failure.
# The app check: <check-command> (or $CHECK_INSTALLED; a command, or a bash function made
# visible with export -f) is run as
#   <check-command> <installed nursecare-desktop.exe, unix path> <wineprefix>
# with WINEPREFIX, WINEDEBUG and WINEDLLOVERRIDES exported, and must exit 0; by default the
# exe is just run and its exit status printed. WINE_EXTRA_DLLS="a.dll b.dll" are copied into
# the prefix's system32 first (Wine 8 lacks e.g. ProcessPrng, which Rust's std needs).
# The installers need no display; a check that shows windows can wrap itself in xvfb-run -a.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <out-dir> [<check-command>]" >&2; exit 2; }
out=$(realpath "$1")
check=${2:-${CHECK_INSTALLED:-}}
cd "$(dirname "$0")/.."
source scripts/lib.sh
version=${VERSION:-$(app_conf version)}
old_version=0.0.0
nsis="$out/NurseCare_${version}_x64-setup.exe"
msi="$out/NurseCare_${version}_x64.msi"
aumid=$(app_conf identifier)

ok() { echo "try: ok   $*"; }
fail() { echo "try: FAIL $*" >&2; exit 1; }
[ -f "$nsis" ] && [ -f "$msi" ] || fail "no $nsis or $msi: run scripts/windows-installers.sh first"
for tool in wine wineserver winepath msiextract msiinfo; do
  command -v $tool >/dev/null || fail "$tool is not installed (apt: wine, msitools)"
done

tmp=$(mktemp -d)
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all CI=true
# No host menu entries from the shortcuts, no Mono/Gecko install prompts while the prefix is made.
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree,mshtml="
cleanup() {
  wineserver -k 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# Wine exits before a program's children (the NSIS uninstaller re-runs itself from %TEMP%):
# wineserver -w waits until every process of the prefix is gone.
run() {
  local rc=0
  wine "$@" </dev/null >"$tmp/run.log" 2>&1 || rc=$?
  wineserver -w
  return $rc
}
# One registry value ("" when absent); wine prints CRLF lines.
regval() {
  wine reg query "$1" /v "$2" </dev/null 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"
}
regkey_exists() { wine reg query "$1" </dev/null >/dev/null 2>&1; }
winpath() { # a Windows folder variable as a unix path under drive_c
  winepath -u "$(wine cmd /c echo "%$1%" </dev/null | tr -d '\r')" | sed 's:/dosdevices/c\::/drive_c:; s:/$::'
}
expect() { # what, actual, expected
  [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
  ok "$1 = $3"
}
t0=$SECONDS
phase() { echo "try: ---- $* (at $((SECONDS - t0)) s)"; }

phase "older installers ($old_version) from the binaries inside the MSI"
msiextract -C "$tmp/x" "$msi" >/dev/null
in="$tmp/x/NurseCare"
[ -f "$in/nursecare-desktop.exe" ] || fail "no nursecare-desktop.exe inside $msi"
mkdir "$tmp/old-in"
cp "$in"/* "$tmp/old-in/"
# A DLL only the old version ships: an upgrade must not leave it behind.
# (Small: the old installers must stay within the size budget too.)
head -c 4096 /dev/urandom >"$tmp/old-in/obsolete.dll"
VERSION=$old_version bash scripts/windows-installers.sh "$tmp/old-in" "$tmp/old" >/dev/null
ok "built $(cd "$tmp/old" && echo *)"

# The shortcut's AppUserModelID as the shell reads it; Wine's shell links do not implement
# IPropertyStore (E_NOTIMPL), so there the check falls back to what the build recorded.
lnk_aumid=""
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
  x86_64-w64-mingw32-gcc -Os -s -municode -o "$tmp/lnk_aumid.exe" tests/windows/lnk_aumid.c -lole32 -luuid
  lnk_aumid="$tmp/lnk_aumid.exe"
fi
check_aumid() { # lnk (unix path), fallback description, fallback command...
  local lnk=$1 why=$2 got rc=0
  shift 2
  if [ -n "$lnk_aumid" ]; then
    got=$(wine "$lnk_aumid" "$(winepath -w "$lnk")" </dev/null 2>"$tmp/aumid.err" | tr -d '\r') || rc=$?
    if [ $rc -eq 0 ]; then expect "shortcut AppUserModelID" "$got" "$aumid"; return; fi
    grep -q 'hr=0x80004001' "$tmp/aumid.err" || fail "shortcut AppUserModelID: $(cat "$tmp/aumid.err")"
    echo "try: note Wine cannot read shortcut properties (IPropertyStore::GetValue E_NOTIMPL)"
  fi
  "$@" || fail "shortcut AppUserModelID: $why"
  ok "shortcut AppUserModelID: $why"
}

phase "fresh Wine prefix"
wineboot -i </dev/null >/dev/null 2>&1 || true # wine32 is absent: its syswow64 errors are harmless
wineserver -w
appdata=$(winpath APPDATA)
localappdata=$(winpath LOCALAPPDATA)
programdata=$(winpath ProgramData)
programfiles=$(winpath ProgramW6432)
for dll in ${WINE_EXTRA_DLLS:-}; do
  cp "$dll" "$WINEPREFIX/drive_c/windows/system32/"
  ok "extra DLL $(basename "$dll") in system32"
done
# What the app would have written: it must survive upgrades and uninstalls.
# (The app's profile is in the local app data: settings, the keyed caches, the logs.)
data="$localappdata/NurseCare/nursecare/data"
profile=("$data/settings.json" "$data/caches/http___127_0_0_1_3001-4/cache.db" "$data/logs/nursecare-desktop.log")
for f in "${profile[@]}"; do mkdir -p "$(dirname "$f")" && echo "fake profile" >"$f"; done
profile_kept() {
  for f in "${profile[@]}"; do [ -f "$f" ] || fail "$1 removed the user's data: $f"; done
  ok "the user's data is still there after $1"
}
check_files() { # install dir
  local f files=(nursecare-desktop.exe nursecare-cli.exe)
  for f in "$in"/*.dll; do [ -e "$f" ] && files+=("$(basename "$f")"); done
  for f in "${files[@]}"; do
    cmp -s "$in/$f" "$1/$f" || fail "$1/$f missing or not this version's"
  done
  ok "program files in $1: $(cd "$1" && echo *)"
  [ ! -e "$1/obsolete.dll" ] || fail "the upgrade left $1/obsolete.dll behind"
  ok "the old version's obsolete.dll is gone"
}
check_app() { # installed exe
  local rc=0
  if [ -n "$check" ]; then
    "$check" "$1" "$WINEPREFIX" || fail "the check '$check' failed on $1"
    ok "the check '$check' passed on the installed app"
  else
    wine "$1" </dev/null >"$tmp/app.log" 2>&1 || rc=$?
    wineserver -w
    ok "the installed app ran, exit status $rc"
  fi
}

check_uninstalled() { # installer kind, program folder, shortcut, uninstall entry
  [ ! -e "$2" ] || fail "$1 uninstall left $2: $(ls "$2")"
  ok "$1 uninstall removed $2"
  [ ! -e "$3" ] || fail "$1 uninstall left $3"
  ok "$1 uninstall removed the shortcut"
  ! regkey_exists "$4" || fail "$1 uninstall left $4"
  ok "$1 uninstall removed its uninstall entry"
}

phase "NSIS: install $old_version, then $version over it (silent, per user)"
uninst='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\'$aumid
dir="$localappdata/Programs/NurseCare"
lnk="$appdata/Microsoft/Windows/Start Menu/Programs/NurseCare.lnk"
s=$SECONDS
run "$tmp/old/NurseCare_${old_version}_x64-setup.exe" /S || fail "the old NSIS setup /S exited $?"
expect "NSIS DisplayVersion after the old install" "$(regval "$uninst" DisplayVersion)" "$old_version"
[ -f "$dir/obsolete.dll" ] || fail "the old NSIS setup did not install obsolete.dll"
run "$nsis" /S || fail "NSIS setup /S exited $?"
echo "try: NSIS: two silent installs took $((SECONDS - s)) s"
check_files "$dir"
[ -f "$dir/uninstall.exe" ] || fail "no $dir/uninstall.exe"
ok "uninstaller in place"
[ -f "$lnk" ] || fail "no shortcut $lnk"
ok "shortcut in the user's Start menu: $lnk"
# The setup logs the key and value as propsys reads them back, and SetValue/Commit/Save's HRESULT.
check_aumid "$lnk" "install.log says the setup set it" \
  grep -q "AppUserModelID {9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3} 5 = $aumid: HRESULT 0x00000000" "$dir/install.log"
expect "NSIS DisplayVersion after the upgrade" "$(regval "$uninst" DisplayVersion)" "$version"
expect "NSIS DisplayName" "$(regval "$uninst" DisplayName)" NurseCare
expect "NSIS Publisher" "$(regval "$uninst" Publisher)" NurseCare
expect "NSIS InstallLocation" "$(regval "$uninst" InstallLocation)" "$(winepath -w "$dir")"
expect "NSIS QuietUninstallString" "$(regval "$uninst" QuietUninstallString)" "\"$(winepath -w "$dir")\\uninstall.exe\" /S"
for v in UninstallString DisplayIcon EstimatedSize NoModify NoRepair; do
  [ -n "$(regval "$uninst" $v)" ] || fail "NSIS uninstall entry has no $v"
done
ok "NSIS uninstall entry has UninstallString DisplayIcon EstimatedSize NoModify NoRepair"
ok "NSIS install.log: $(grep WebView2 "$dir/install.log" | tr -d '\r')"
profile_kept "the NSIS upgrade"
check_app "$dir/nursecare-desktop.exe"
# What the app writes for its user (start at login on, its toasts' name).
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
app_id_key='HKCU\Software\Classes\AppUserModelId\'$aumid
wine reg add "$run_key" /v NurseCare /d "\"$(winepath -w "$dir")\\nursecare-desktop.exe\" --hidden" /f </dev/null >/dev/null 2>&1
wine reg add "$app_id_key" /v DisplayName /d NurseCare /f </dev/null >/dev/null 2>&1
[ -n "$(regval "$run_key" NurseCare)" ] || fail "could not write the Run value"
s=$SECONDS
run "$dir/uninstall.exe" /S || fail "NSIS uninstall /S exited $?"
echo "try: NSIS: silent uninstall took $((SECONDS - s)) s"
check_uninstalled NSIS "$dir" "$lnk" "$uninst"
[ -z "$(regval "$run_key" NurseCare)" ] || fail "NSIS uninstall left start at login in $run_key"
! regkey_exists "$app_id_key" || fail "NSIS uninstall left $app_id_key"
ok "NSIS uninstall removed start at login and the AppUserModelID's name"
profile_kept "the NSIS uninstall"

phase "MSI: install $old_version, then $version over it (msiexec /qn, per machine)"
product_code() { msiinfo export "$1" Property | tr -d '\r' | sed -n 's/^ProductCode\t//p'; }
arp='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\'
old_arp=$arp$(product_code "$tmp/old/NurseCare_${old_version}_x64.msi")
new_arp=$arp$(product_code "$msi")
dir="$programfiles/NurseCare"
s=$SECONDS
run msiexec /i "$(winepath -w "$tmp/old/NurseCare_${old_version}_x64.msi")" /qn || fail "msiexec /i old MSI exited $?"
expect "MSI DisplayVersion after the old install" "$(regval "$old_arp" DisplayVersion)" "$old_version"
run msiexec /i "$(winepath -w "$msi")" /qn || fail "msiexec /i MSI exited $?"
echo "try: MSI: two silent installs took $((SECONDS - s)) s"
! regkey_exists "$old_arp" || fail "the MSI upgrade left the old product registered: $old_arp"
ok "the MSI upgrade removed the old product"
check_files "$dir"
expect "MSI DisplayVersion" "$(regval "$new_arp" DisplayVersion)" "${version%%[-+]*}"
expect "MSI DisplayName" "$(regval "$new_arp" DisplayName)" NurseCare
expect "MSI Publisher" "$(regval "$new_arp" Publisher)" NurseCare
expect "MSI InstallLocation" "$(regval "$new_arp" InstallLocation)" "$(winepath -w "$dir")\\"
expect "MSI NoModify" "$(regval "$new_arp" NoModify)" 0x1
# ALLUSERS=1 puts the shortcut in the common Start menu. Wine's msi resolves
# ProgramMenuFolder to the user's menu regardless (dlls/msi/package.c: "FIXME: set to
# AllUsers profile path if ALLUSERS is set"), so there the table is checked instead.
lnk="$programdata/Microsoft/Windows/Start Menu/Programs/NurseCare.lnk"
if [ ! -f "$lnk" ] && [ -f "$appdata/Microsoft/Windows/Start Menu/Programs/NurseCare.lnk" ]; then
  lnk="$appdata/Microsoft/Windows/Start Menu/Programs/NurseCare.lnk"
  grep -q "^AppShortcut	ProgramMenuFolder	NurseCare	" <<<"$(msiinfo export "$msi" Shortcut)" \
    && grep -q "^ALLUSERS	1" <<<"$(msiinfo export "$msi" Property)" \
    || fail "the MSI's shortcut is not in ProgramMenuFolder with ALLUSERS=1"
  echo "try: note Wine put the per-machine shortcut in the user's menu (Wine msi FIXME); the MSI has it in ProgramMenuFolder with ALLUSERS=1"
fi
[ -f "$lnk" ] || fail "no shortcut $lnk"
ok "shortcut: $lnk"
msiinfo export "$msi" MsiShortcutProperty >"$tmp/MsiShortcutProperty.idt"
check_aumid "$lnk" "the MSI's MsiShortcutProperty table sets it" \
  grep -q "^AppShortcutAumid	AppShortcut	System.AppUserModel.ID	$aumid" "$tmp/MsiShortcutProperty.idt"
profile_kept "the MSI upgrade"
check_app "$dir/nursecare-desktop.exe"
s=$SECONDS
run msiexec /x "$(winepath -w "$msi")" /qn || fail "msiexec /x exited $?"
echo "try: MSI: silent uninstall took $((SECONDS - s)) s"
check_uninstalled MSI "$dir" "$lnk" "$new_arp"
profile_kept "the MSI uninstall"
phase "all checks passed"
