#!/usr/bin/env bash
# `npm run soak`: the chaos soak at full size (scripts/soak.ts). It brings its own private Kafka
# broker; the Worker bundle and tools come as for npm test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-tools.sh
[ -f .dev.vars ] || cp .dev.vars.example .dev.vars
bash scripts/kafka.sh fetch
NODE_NO_WARNINGS=1 exec node scripts/soak.ts "$@"
