#!/usr/bin/env bash
# End-to-end test in a real VS Code: builds the .vsix, installs code-server + Chromium + playwright-core
# when missing (../shared/tools/install-code-server.sh; needs root for apt-get), then drives fixture
# workspaces through headless Chromium. Screenshots, timings and logs go to test-output/e2e/.
# Usage: scripts/e2e.sh [--only a,d,b,c,speed] [--keep]     (VSIX=file to test a prebuilt one)
set -euo pipefail
EXT="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "$EXT/.." && pwd)"
# Outside the checkout (the shared installer's default), so every clone on a machine reuses one install.
CS_DIR="${CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/code-server-e2e}"
OUT="${E2E_OUT:-$REPO/test-output/e2e}"
cd "$EXT"

if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ] || [ ! -d "$CS_DIR/node_modules/playwright-core" ] || [ ! -x /usr/bin/chromium ]; then
  bash "$REPO/../shared/tools/install-code-server.sh" "$CS_DIR"
fi
if [ -z "${VSIX:-}" ]; then
  VSIX="$(scripts/vsix.sh | tail -n 1)"
fi
node e2e/run.mjs --vsix "$VSIX" --code-server-dir "$CS_DIR" --out "$OUT" "$@"
