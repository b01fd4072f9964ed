#!/usr/bin/env bash
# Static checks, each of which fails CI: the formatter and the linter (Biome, biome.jsonc), strict
# type-checking of worker, bridge (with scripts, tests, bench) and web, the committed
# worker-configuration.d.ts against wrangler.toml (wrangler types --check, from .dev.vars.example so a
# developer's own .dev.vars cannot change the answer), and a dry-run deploy of the Worker (bundling
# with the real wrangler) for every environment.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
echo "[check] biome ci (format + lint)"; biome ci --error-on-warnings --reporter=summary .
echo "[check] tsc worker";  tsc -p worker/tsconfig.json
echo "[check] tsc bridge";  tsc -p bridge/tsconfig.json
echo "[check] tsc web";     tsc -p web/tsconfig.json
echo "[check] wrangler types --check"
wrangler types worker/worker-configuration.d.ts --check --env-file .dev.vars.example >/dev/null
[ -d web/dist ] || vite build web --logLevel warn
envs=("")
for e in $(sed -n 's/^\[env\.\([a-z0-9_-]*\)\]$/\1/p' wrangler.toml | sort -u); do envs+=("$e"); done
for e in "${envs[@]}"; do
  echo "[check] wrangler deploy --dry-run --env=${e:-\"\" (top level)}"
  wrangler deploy --dry-run --outdir "$(mktemp -d)" --env="$e" >/dev/null
done
echo "[check] ok"
