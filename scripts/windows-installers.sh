#!/usr/bin/env bash
# Builds NurseCare's two Windows installers on Linux from already cross-built binaries:
#   bash scripts/windows-installers.sh <input-dir-with-exes> <out-dir>
# -> <out-dir>/NurseCare_<version>_x64-setup.exe  per-user NSIS (src-tauri/windows/installer.nsi)
#    <out-dir>/NurseCare_<version>_x64.msi        per-machine MSI (src-tauri/windows/installer.wxs)
# The input folder holds nursecare-desktop.exe, nursecare-cli.exe and any *.dll to ship
# beside them (WebView2Loader.dll). The version comes from src-tauri/tauri.conf.json; the
# environment variable VERSION overrides it (scripts/windows-try-installers.sh builds an
# older one to try upgrades). Fails if an installer is 15 MB or more: the size budget.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <input-dir-with-exes> <out-dir>" >&2; exit 2; }
in=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
cd "$(dirname "$0")/.."
win=$PWD/src-tauri/windows # absolute: makensis resolves ${__FILEDIR__} from it
for f in nursecare-desktop.exe nursecare-cli.exe; do
  [ -f "$in/$f" ] || { echo "installers: $in/$f is missing" >&2; exit 1; }
done

# The tools come from Debian; install only what is missing.
source scripts/lib.sh
install_missing nsis=/usr/bin/makensis wixl=/usr/bin/wixl msitools=/usr/bin/msibuild

version=${VERSION:-$(app_conf version)}
# The AppUserModelID on the shortcuts: the app's identifier, which it sets on itself.
aumid=$(app_conf identifier)
# Windows file versions and MSI ProductVersion are numeric: 1.2.3-beta.1 -> 1.2.3.
num=${version%%[-+]*}
[[ $num =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "installers: version $version is not x.y.z" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
makensis -V2 -DVERSION="$version" -DVERSION_NUM="$num" -DAUMID="$aumid" -DINPUT_DIR="$in" \
  -DOUT_DIR="$out" "$win/installer.nsi"
nsis="$out/NurseCare_${version}_x64-setup.exe"
echo "installers: NSIS built in $((SECONDS - start)) s"

start=$SECONDS
# wixl has no wildcards: the DLLs beside the exes become a generated component group.
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment>'
  echo '<ComponentGroup Id="Dlls" Directory="INSTALLDIR">'
  for dll in "$in"/*.dll; do
    [ -e "$dll" ] || continue
    name=$(basename "$dll")
    id=Dll_$(printf %s "$name" | tr -c 'A-Za-z0-9_.' _)
    echo "<Component Id=\"$id\" Guid=\"*\" Win64=\"yes\"><File Id=\"$id\" Name=\"$name\" KeyPath=\"yes\" Source=\"\$(var.SourceDir)/$name\"/></Component>"
  done
  echo '</ComponentGroup></Fragment></Wix>'
} >"$tmp/dlls.wxs"
msi="$out/NurseCare_${version}_x64.msi"
# wixl resolves Source= only relative to the .wxs files' folders, never absolute.
wixl -a x64 -D Version="$num" -D SourceDir="$(realpath --relative-to="$win" "$in")" \
  -o "$msi" "$win/installer.wxs" "$tmp/dlls.wxs"
# wixl does not know <ShortcutProperty>: add the Start-menu shortcut's AppUserModelID row
# to the MsiShortcutProperty table (Windows Installer 5.0) the way WiX would.
{
  printf 'MsiShortcutProperty\tShortcut_\tPropertyKey\tPropVariantValue\r\n'
  printf 's72\ts72\ts0\ts0\r\n'
  printf 'MsiShortcutProperty\tMsiShortcutProperty\r\n'
  printf 'AppShortcutAumid\tAppShortcut\tSystem.AppUserModel.ID\t%s\r\n' "$aumid"
} >"$tmp/MsiShortcutProperty.idt"
msibuild "$msi" -i "$tmp/MsiShortcutProperty.idt"
# (A here-string, not a pipe: grep -q would close it early and pipefail would count that.)
grep -q "	AppShortcut	System.AppUserModel.ID	$aumid" <<<"$(msiinfo export "$msi" MsiShortcutProperty)" \
  || { echo "installers: the MSI's shortcut has no AppUserModelID" >&2; exit 1; }
echo "installers: MSI built in $((SECONDS - start)) s"

for f in "$nsis" "$msi"; do
  du -h "$f"
  size=$(stat -c %s "$f")
  [ "$size" -lt $((15 * 1024 * 1024)) ] || { echo "installers: $f is 15 MB or more" >&2; exit 1; }
done
