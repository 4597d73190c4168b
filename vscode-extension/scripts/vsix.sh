#!/usr/bin/env bash
# Packages the extension into one .vsix per platform target, each carrying the venvkeeper server and
# its dependencies in bundled/libs, so it works offline with any Python >= 3.9.
#
# Usage: scripts/vsix.sh [TARGET ...]     TARGET: linux-x64 linux-arm64 win32-x64 darwin-x64 darwin-arm64
#        scripts/vsix.sh --all
# Default: the target of this machine. Prints the path of each .vsix (last lines of stdout).
#
# Why per target: watchdog ships a per-platform wheel (inotify/ReadDirectoryChangesW bindings). The
# libs are resolved for Python 3.9 with implementation "py" / abi "none", so only pure-Python or
# py3-none-<platform> wheels are taken (never a cp39-only binary such as tomli's mypyc build) and ONE
# libs folder serves every Python >= 3.9. macOS has no such watchdog wheel (only per-CPython builds),
# so darwin targets get watchdog built from its sdist without the fsevents C extension; watchdog then
# uses its kqueue observer.
set -euo pipefail
EXT="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "$EXT/.." && pwd)"
cd "$EXT"
PYTHON="${PYTHON:-python3}"
ALL_TARGETS=(linux-x64 linux-arm64 win32-x64 darwin-x64 darwin-arm64)

host_target() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; MINGW* | MSYS* | CYGWIN*) os=win32 ;; *) os=linux ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=x64 ;; esac
  echo "$os-$arch"
}

pip_platforms() {
  case "$1" in
    linux-x64) echo "--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64" ;;
    linux-arm64) echo "--platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64" ;;
    win32-x64) echo "--platform win_amd64" ;;
    darwin-x64 | darwin-arm64) echo "" ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

if [ "${1:-}" = "--all" ]; then
  TARGETS=("${ALL_TARGETS[@]}")
elif [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  TARGETS=("$(host_target)")
fi

# The server's runtime requirements, read from the repo's pyproject.toml so they never drift.
REQS="$(mktemp)"
trap 'rm -f "$REQS"' EXIT
"$PYTHON" - "$REPO/pyproject.toml" >"$REQS" <<'PY'
import sys
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib
with open(sys.argv[1], "rb") as f:
    for dep in tomllib.load(f)["project"]["dependencies"]:
        print(dep)
PY

# Bundle the extension code once (production build).
[ -d node_modules ] || npm ci --no-audit --no-fund
node esbuild.mjs --production

mkdir -p dist/vsix
VERSION="$(node -p "require('./package.json').version")"
OUTPUTS=()
for target in "${TARGETS[@]}"; do
  echo "== $target: bundling the server" >&2
  rm -rf bundled
  mkdir -p bundled/libs
  # --isolated: the public index only, so the bundle does not depend on this machine's pip config
  # (local flat indexes there lack Requires-Python data, and pip then picks 3.10-only releases).
  # VSIX_PIP_ARGS adds options back, e.g. an --index-url for a mirror.
  # shellcheck disable=SC2206
  common=(--isolated ${VSIX_PIP_ARGS:-} --quiet --disable-pip-version-check --no-compile --target bundled/libs --python-version 3.9
          --implementation py --abi none --only-binary=:all:)
  platforms="$(pip_platforms "$target")"
  if [ -n "$platforms" ]; then
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install "${common[@]}" $platforms --platform any -r "$REQS" >&2
  else
    grep -v '^watchdog' "$REQS" >"$REQS.nowd"
    "$PYTHON" -m pip install "${common[@]}" --platform any -r "$REQS.nowd" >&2
    rm -f "$REQS.nowd"
    # No pure watchdog wheel for macOS: build one from the sdist (the fsevents extension is skipped off macOS).
    wd_req="$(grep -E "^watchdog.*python_version < '3.11'" "$REQS" | sed 's/;.*//' | tr -d ' ')"
    "$PYTHON" -m pip install --isolated ${VSIX_PIP_ARGS:-} --quiet --no-compile --no-deps --target bundled/libs \
      --no-binary watchdog "$wd_req" >&2
  fi
  # pip evaluated markers for the Python running it; add what older (or newer) Pythons need too.
  while :; do
    "$PYTHON" scripts/missing_deps.py bundled/libs "$target" "$REQS" >"$REQS.more"
    [ -s "$REQS.more" ] || break
    echo "   adding for other Python versions: $(tr '\n' ' ' <"$REQS.more")" >&2
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install "${common[@]}" $platforms --platform any -r "$REQS.more" >&2
  done
  rm -f "$REQS.more"
  # The server itself, without caches.
  cp -R "$REPO/server/venvkeeper" bundled/libs/venvkeeper
  find bundled -name '__pycache__' -type d -prune -exec rm -rf {} +
  rm -rf bundled/libs/bin
  out="dist/vsix/venvkeeper-$target-$VERSION.vsix"
  echo "== $target: packaging" >&2
  npx --no-install vsce package --no-dependencies --skip-license --allow-missing-repository \
    --target "$target" --out "$out" >&2
  OUTPUTS+=("$EXT/$out")
done
printf '%s\n' "${OUTPUTS[@]}"
