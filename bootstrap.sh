#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine with Python 3.10+ and root:
#   bash bootstrap.sh run   [iotile-appliance args]   install everything, then run the appliance
#   bash bootstrap.sh test  [pytest args]             install everything, then ruff + mypy + pytest
# Installs the Debian libraries Qt needs, a virtual environment in .venv and the pinned packages.
# Each step is skipped when a stamp shows it is already done for the same inputs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)
VENV=${IOTILE_APPLIANCE_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
MODE=${1:-run}
shift || true

APT_PACKAGES=(
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-6
  fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1
  libxkbcommon-x11-0 libx11-xcb1 xauth
)

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "needs root to run: $*"; return 1
  fi
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

install_system_packages() {
  local want stamp=/var/tmp/iotile-appliance-apt.stamp
  want=$(printf '%s\n' "${APT_PACKAGES[@]}" python3-venv | sha256sum | cut -c1-16)
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get: install Qt's libraries (${APT_PACKAGES[*]}) with your package manager"; return 0
  fi
  stamp_ok "$stamp" "$want" && return 0
  local venv_pkg=()
  "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || venv_pkg=(python3-venv)
  say "installing system libraries for Qt: ${APT_PACKAGES[*]} ${venv_pkg[*]:-}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" "${venv_pkg[@]}" >/dev/null
  echo "$want" | as_root tee "$stamp" >/dev/null || true
}

stamp_for() { (cat pyproject.toml; echo "$1") | sha256sum | cut -c1-16; }

install_python_packages() {
  local extras=$1 want
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    say "Python 3.10 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1)"; exit 1
  fi
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  want=$(stamp_for "$extras")
  stamp_ok "$VENV/.iotile-stamp" "$want" && return 0
  # a test install is a superset of a run install: do not reinstall when switching to `run`
  [ "$extras" = "[build]" ] && stamp_ok "$VENV/.iotile-stamp" "$(stamp_for "[test,build]")" && return 0
  say "installing Python packages ($extras) into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".$extras"
  echo "$want" > "$VENV/.iotile-stamp"
}

case "$MODE" in
  run)
    install_system_packages
    install_python_packages "[build]"
    exec "$VENV/bin/iotile-appliance" "$@"
    ;;
  test)
    install_system_packages
    install_python_packages "[test,build]"
    say "ruff"; "$VENV/bin/ruff" check appliance storage gui tests bench
    say "mypy"; "$VENV/bin/mypy"
    say "pytest"; exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    say "usage: bash bootstrap.sh run|test [args]"; exit 64
    ;;
esac
