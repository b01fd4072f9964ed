/**
 * `node scripts/deploy-check.ts <env> [--secrets-file FILE] [--config wrangler.toml]`: the checks
 * scripts/deploy.sh runs before it builds anything, so a deploy that the Worker would refuse
 * (503 insecure_configuration, worker/secret-policy.ts) never leaves this machine:
 *
 * - the environment's `[env.<env>.vars]` set ENVIRONMENT to staging or production (development
 *   would accept the published secrets);
 * - no secret is a plain var in wrangler.toml (vars are committed and shown in the dashboard);
 * - the secrets about to be uploaded (`--secrets-file`, dotenv lines) are at least 32 bytes and
 *   none of the published development values;
 * - JWT_MAX_LIFETIME_S, when set, is a positive integer;
 * - VAPID_PRIVATE_KEY (Web Push, optional: docs/push.md) is not a plain var, and the secrets file's
 *   is not the published development key (the Worker would turn push off).
 *
 * What it cannot check: secrets already stored in Cloudflare. `wrangler secret list` gives names
 * only, never values, so deploy.sh checks they exist and then probes /healthz, which answers 503
 * with the problem if the stored values are weak. Prints one line per problem; exit 1 if any.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEV_VAPID_PRIVATE_KEY, POLICED_SECRETS, secretProblems, type PolicedSecret } from '../worker/secret-policy.ts';

/** Secrets the Worker reads beside the policed ones, optional (Web Push, docs/push.md). */
const OPTIONAL_SECRETS = ['VAPID_PRIVATE_KEY'] as const;
import { ROOT } from './lib/paths.ts';

/** `key = "value"` lines of one `[table]` of a wrangler.toml (the subset this repository's file uses). */
export function tomlTable(text: string, table: string): Record<string, string> | undefined {
  let inside = false;
  let found = false;
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inside = line === `[${table}]`;
      found ||= inside;
      continue;
    }
    const m = inside ? /^([A-Za-z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(line) : null;
    if (m) out[m[1]!] = JSON.parse(`"${m[2]!}"`) as string;
  }
  return found ? out : undefined;
}

/** KEY=value lines of a dotenv file (blank lines and # comments skipped; optional double quotes). */
export function dotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Every reason not to deploy `env` with these vars and (if given) secrets. */
export function deployProblems(
  env: string,
  vars: Record<string, string> | undefined,
  secrets: Record<string, string> | undefined,
): string[] {
  if (!vars) return [`wrangler.toml has no [env.${env}.vars]`];
  const problems: string[] = [];
  const environment = vars.ENVIRONMENT;
  if (environment !== 'staging' && environment !== 'production') {
    problems.push(
      `[env.${env}.vars] ENVIRONMENT is ${environment === undefined ? 'not set' : `"${environment}"`}: it must be "staging" or "production" (development accepts published secrets)`,
    );
  }
  for (const name of [...POLICED_SECRETS, ...OPTIONAL_SECRETS]) {
    if (name in vars)
      problems.push(
        `[env.${env}.vars] sets ${name} as a plain var: secrets belong in \`wrangler secret put ${name} --env ${env}\` (or --secrets-file), never in wrangler.toml`,
      );
  }
  const lifetime = vars.JWT_MAX_LIFETIME_S;
  if (lifetime !== undefined && !/^[1-9][0-9]*$/.test(lifetime))
    problems.push(`[env.${env}.vars] JWT_MAX_LIFETIME_S must be a positive integer of seconds, got "${lifetime}"`);
  if (secrets) {
    const known: readonly string[] = [...POLICED_SECRETS, ...OPTIONAL_SECRETS];
    const unknown = Object.keys(secrets).filter((k) => !known.includes(k));
    if (unknown.length > 0)
      problems.push(`the secrets file sets names this Worker does not read: ${unknown.join(', ')}`);
    problems.push(
      ...secretProblems(secrets as Partial<Record<PolicedSecret, string>>).map((p) => `secrets file: ${p}`),
    );
    if (secrets.VAPID_PRIVATE_KEY === DEV_VAPID_PRIVATE_KEY)
      problems.push(
        'secrets file: VAPID_PRIVATE_KEY is the published development value (from .dev.vars.example); make a pair with scripts/vapid-keys.ts',
      );
  }
  return problems;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const env = args[0];
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  if (!env || env.startsWith('--')) {
    console.error('usage: node scripts/deploy-check.ts <env> [--secrets-file FILE] [--config wrangler.toml]');
    process.exit(2);
  }
  const config = readFileSync(option('--config') ?? path.join(ROOT, 'wrangler.toml'), 'utf8');
  const secretsFile = option('--secrets-file');
  const problems = deployProblems(
    env,
    tomlTable(config, `env.${env}.vars`),
    secretsFile === undefined ? undefined : dotenv(readFileSync(secretsFile, 'utf8')),
  );
  for (const p of problems) console.error(`[deploy] refused: ${p}`);
  process.exit(problems.length > 0 ? 1 : 0);
}
