#!/usr/bin/env bash
# Install the few system packages the dev setup needs, only when they are missing:
#   - a Python >= 3.9 whose `venv` module can bootstrap pip (Debian splits ensurepip into python3-venv);
#   - Node.js + npm for the VS Code extension (only when asked with --node);
#   - Neovim for the README-config e2e test (only when asked with --neovim; Debian's, whatever version).
# Uses apt-get (Debian/Ubuntu, as root or via sudo). Never touches anything else.
set -euo pipefail
PYTHON=${PYTHON:-python3}
want_node=0
want_neovim=0
[ "${1:-}" = "--node" ] && want_node=1
[ "${1:-}" = "--neovim" ] && want_neovim=1

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  if ! command -v apt-get >/dev/null; then
    echo "system-deps: please install: $*" >&2
    exit 1
  fi
  echo "system-deps: installing $* with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v "$PYTHON" >/dev/null; then
  apt_install python3 python3-venv
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
  echo "system-deps: $PYTHON is $("$PYTHON" -V 2>&1); venvkeeper needs Python >= 3.9 (set PYTHON=...)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  mm=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  apt_install "python${mm}-venv" || apt_install python3-venv
fi
if [ "$want_node" = 1 ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  apt_install nodejs npm
fi
if [ "$want_neovim" = 1 ] && ! command -v nvim >/dev/null; then
  apt_install neovim
fi
