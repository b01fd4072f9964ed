#!/usr/bin/env bash
# Deploys the Worker (API, rooms, dashboard) to one wrangler environment:
#   npm run deploy -- <env> [--dry-run] [--secrets-file FILE]   (env: an [env.X] of wrangler.toml)
# Steps: check the config and the secrets to upload (scripts/deploy-check.ts: ENVIRONMENT, no
# secret as a plain var, no short or published secret — refused before anything is built),
# type-check the Worker, build the dashboard, bundle (wrangler deploy --dry-run), then — remote,
# needs a Cloudflare account — upload --secrets-file (wrangler secret bulk), check the secrets
# exist (names only: Cloudflare never returns values), apply D1 migrations, deploy, and probe
# /healthz, which answers 503 naming the problem if a stored secret is weak (the Worker fails
# closed). --dry-run does everything up to the remote steps and prints them.
# Runs under Node 22 (scripts/node22.sh, via the npm script). docs/deploy.md walks through it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "[deploy] $*"; }
die() { echo "[deploy] error: $1" >&2; exit "${2:-1}"; }
usage() { echo "usage: npm run deploy -- <$(echo "$envs" | paste -sd'|' -)> [--dry-run] [--secrets-file FILE]"; }

envs="$(sed -n 's/^\[env\.\([a-z0-9_-]*\)\]$/\1/p' wrangler.toml | sort -u)"
target=""
dry_run=0
secrets_file=""
expect_file=0
for arg in "$@"; do
  if [ "$expect_file" = 1 ]; then secrets_file="$arg"; expect_file=0; continue; fi
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --secrets-file) expect_file=1 ;;
    --secrets-file=*) secrets_file="${arg#--secrets-file=}" ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $arg" 2 ;;
    *) [ -z "$target" ] || { usage >&2; die "one environment at a time (got \"$target\" and \"$arg\")" 2; }; target="$arg" ;;
  esac
done
[ "$expect_file" = 0 ] || { usage >&2; die "--secrets-file needs a file" 2; }
[ -z "$secrets_file" ] || [ -f "$secrets_file" ] || die "no secrets file $secrets_file" 2
[ -n "$target" ] || { usage >&2; die "name the environment to deploy" 2; }
if ! grep -qxF "$target" <<<"$envs"; then
  usage >&2
  die "unknown environment \"$target\"; wrangler.toml defines: $(echo "$envs" | paste -sd' ' -)" 2
fi

# 1. Config: a placeholder D1 id would deploy a Worker bound to nothing.
db_id="$(awk -v hdr="[[env.$target.d1_databases]]" '
  $0 == hdr { inside = 1; next }
  /^\[/ { inside = 0 }
  inside && $1 == "database_id" { split($0, q, "\""); print q[2]; exit }' wrangler.toml)"
[ -n "$db_id" ] || die "wrangler.toml has no [[env.$target.d1_databases]] database_id"
if [[ "$db_id" == REPLACE* ]]; then
  msg="[[env.$target.d1_databases]] database_id is still the placeholder \"$db_id\": run \`wrangler d1 create quaycast-$target\` and put its id there (docs/deploy.md, step 2)"
  if [ "$dry_run" = 1 ]; then say "warning: $msg"; else die "$msg"; fi
fi

# 1b. Security: what the Worker would refuse at run time (503 insecure_configuration) is refused here.
say "checking vars and secrets of env $target (scripts/deploy-check.ts)"
check_args=("$target")
[ -z "$secrets_file" ] || check_args+=(--secrets-file "$secrets_file")
node scripts/deploy-check.ts "${check_args[@]}" || die "env $target would fail closed; fix the problems above (docs/security.md)"
[ -n "$secrets_file" ] || say "no --secrets-file: the stored secrets' values cannot be checked before deploying (only their names); /healthz is probed after"

# 2. Local gates: types, the dashboard build, and the bundle wrangler would upload.
say "type-checking the Worker (tsc -p worker/tsconfig.json)"
tsc -p worker/tsconfig.json
say "building the dashboard (web/dist)"
vite build web --logLevel warn
bundle="$(mktemp -d)"
trap 'rm -rf "$bundle"' EXIT
say "bundling for env $target (wrangler deploy --dry-run --env $target)"
wrangler deploy --dry-run --outdir "$bundle" --env "$target" | sed 's/^/  /'

remote=(
  "wrangler d1 migrations apply DB --remote --env $target"
  "wrangler deploy --env $target"
)
if [ "$dry_run" = 1 ]; then
  say "dry run: stopping before the remote steps, which would be:"
  [ -z "$secrets_file" ] || say "  wrangler secret bulk $secrets_file --env $target"
  say "  wrangler secret list --env $target   (JWT_SECRET and INGEST_TOKEN must be set)"
  for cmd in "${remote[@]}"; do say "  $cmd"; done
  say "  GET <deployed url>/healthz"
  exit 0
fi

# 3. Remote (needs `wrangler login` or CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID).
if [ -n "$secrets_file" ]; then
  say "uploading the checked secrets (wrangler secret bulk --env $target)"
  wrangler secret bulk "$secrets_file" --env "$target"
fi
say "checking secrets of env $target"
secrets="$(wrangler secret list --env "$target" --format json 2>/dev/null)" \
  || die "could not list the secrets of env $target (a new Worker? set them first: docs/deploy.md, step 3)"
missing="$(node -e '
  const have = new Set(JSON.parse(process.argv[1]).map((s) => s.name));
  console.log(["JWT_SECRET", "INGEST_TOKEN"].filter((n) => !have.has(n)).join(" "));
' "$secrets")"
[ -z "$missing" ] || die "secrets missing in env $target: $missing — set each with: wrangler secret put <NAME> --env $target"

# Migrations first: they are append-only and additive, so the running version keeps working on
# the new schema, and the new version never starts on the old one.
say "${remote[0]}"
CI=1 wrangler d1 migrations apply DB --remote --env "$target"
say "${remote[1]}"
out="$(mktemp)"
wrangler deploy --env "$target" | tee "$out"

url="${DEPLOY_URL:-$(grep -oE 'https://[A-Za-z0-9.-]+\.workers\.dev' "$out" | head -1 || true)}"
if [ -z "$url" ]; then
  say "no URL in wrangler's output (custom domain only?): set DEPLOY_URL to probe /healthz"
  exit 0
fi
say "probing $url/healthz"
for attempt in 1 2 3 4 5; do
  body="$(curl -sS --max-time 10 "$url/healthz" 2>/dev/null || true)"
  if grep -q '"db":"ok"' <<<"$body"; then say "healthy: $body"; exit 0; fi
  # Fail closed: a weak stored secret makes the new version refuse everyone; say so and how to go back.
  if grep -q '"ok":false' <<<"$body"; then
    die "the deployed Worker refuses to authenticate anyone: $body — set strong secrets (wrangler secret put JWT_SECRET|INGEST_TOKEN --env $target) or roll back (wrangler rollback --env $target)"
  fi
  sleep $((attempt * 2))
done
die "$url/healthz did not answer with db ok (last answer: ${body:-none}); see \`wrangler tail --env $target --format json\`"
