#!/usr/bin/env bash
# Static checks: strict type-checking of worker, bridge (with scripts, tests, bench) and web, and
# a dry-run deploy of the Worker (bundling with the real wrangler) for every environment.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
echo "[check] tsc worker";  tsc -p worker/tsconfig.json
echo "[check] tsc bridge";  tsc -p bridge/tsconfig.json
echo "[check] tsc web";     tsc -p web/tsconfig.json
[ -d web/dist ] || vite build web --logLevel warn
envs=("")
for e in $(sed -n 's/^\[env\.\([a-z0-9_-]*\)\]$/\1/p' wrangler.toml | sort -u); do envs+=("$e"); done
for e in "${envs[@]}"; do
  echo "[check] wrangler deploy --dry-run --env=${e:-\"\" (top level)}"
  wrangler deploy --dry-run --outdir "$(mktemp -d)" --env="$e" >/dev/null
done
echo "[check] ok"
