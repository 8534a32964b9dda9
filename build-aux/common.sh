# Sourced by build-aux/run and build-aux/test.
# shellcheck shell=bash

PC_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PC_BUILD_DIR=${PC_BUILD_DIR:-$PC_SOURCE_DIR/_build}

pc_log () { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the packages of build-aux/packages that are missing, with apt,
# as root or through sudo.
pc_install_packages () {
  local wanted=() missing=() pkg sudo=()
  mapfile -t wanted < <(grep -v '^\s*\(#\|$\)' "$PC_SOURCE_DIR/build-aux/packages")
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Missing packages: ${missing[*]}; run as root or install sudo." >&2; return 1; }
    sudo=(sudo)
  fi
  pc_log "Installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

pc_build () {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$PC_SOURCE_DIR" "$@"
  fi
  meson compile -C "$dir"
}
