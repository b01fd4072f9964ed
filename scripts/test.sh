#!/usr/bin/env bash
# The whole test suite: unit, workerd, web components, then the integration tests against a real
# Kafka broker, the Worker in workerd, the bridge and headless Chromium. Runs under Node 22
# (scripts/node22.sh). Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/ensure-tools.sh
[ -f .dev.vars ] || cp .dev.vars.example .dev.vars
echo "[test] building the dashboard (web/dist)"
vite build web --logLevel warn

started_kafka=0
if ! bash scripts/kafka.sh status; then
  bash scripts/kafka.sh start
  started_kafka=1
fi
cleanup() { [ "$started_kafka" = 1 ] && bash scripts/kafka.sh stop || true; }
trap cleanup EXIT

mkdir -p test/artifacts
status=0
NODE_NO_WARNINGS=1 vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json "$@" || status=$?

# A plain closing line any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test/artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
