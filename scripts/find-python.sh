#!/usr/bin/env bash
# Print the path of a *working* pythonX.Y (pyenv shims for versions that are not active fail, so each
# candidate is tried), or nothing. Usage: scripts/find-python.sh 3.9
set -u
v=$1
for c in "$HOME"/.pyenv/versions/"$v".*/bin/python"$v" /usr/bin/python"$v" /usr/local/bin/python"$v" \
         "$(command -v python"$v" 2>/dev/null)"; do
  [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import venv' >/dev/null 2>&1 && { echo "$c"; exit 0; }
done
exit 0
