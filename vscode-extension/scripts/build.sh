#!/usr/bin/env bash
# Installs the pinned npm dependencies, type-checks (strict), lints, bundles and runs the unit tests.
# Usage: scripts/build.sh        (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# npm ci when the lock file changed since the last install; a fresh clone always installs.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.vk-lock-stamp 2>/dev/null; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.vk-lock-stamp
fi

echo "== tsc --noEmit (strict)"
npx --no-install tsc --noEmit -p .
echo "== eslint"
npx --no-install eslint src test
echo "== esbuild bundle"
node esbuild.mjs
echo "== unit tests"
rm -rf out
npx --no-install tsc -p tsconfig.test.json
node --test out/test/unit/
