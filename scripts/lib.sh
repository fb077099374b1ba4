# Shared by the scripts in this folder (sourced, not run).

# Installs the Debian packages whose probe file is missing: install_missing PKG=FILE ...
install_missing() {
  local pkgs=() pair
  for pair in "$@"; do
    [ -e "${pair#*=}" ] || pkgs+=("${pair%%=*}")
  done
  ((${#pkgs[@]})) || return 0
  echo "setup: installing ${pkgs[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
}

# A field of src-tauri/tauri.conf.json (version, identifier, productName).
app_conf() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$(dirname "${BASH_SOURCE[0]}")/../src-tauri/tauri.conf.json" "$1"
}
