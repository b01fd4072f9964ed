/**
 * What makes a secret unfit outside local development (contract 2, docs/security.md): shorter
 * than 32 bytes, or one of the values published in `.dev.vars.example` (anyone who has read this
 * repository knows them). The Worker refuses to authenticate with such a secret, and
 * `npm run deploy` refuses to ship one; both read this module. A unit test
 * (`worker/secret-policy.test.ts`) checks DEV_VARS_EXAMPLE against the file.
 */

/** The values of `.dev.vars.example`, exactly. */
export const DEV_VARS_EXAMPLE = {
  JWT_SECRET: 'quaycast-local-dev-secret-change-me',
  INGEST_TOKEN: 'quaycast-local-ingest-token',
} as const;

/**
 * The development VAPID private key of `.dev.vars.example` (docs/push.md); its public half is
 * VAPID_PUBLIC_KEY in wrangler.toml's [vars]. Outside development the Worker turns push off with
 * it (worker/config.ts); it is not a secret of the policy above (push is optional).
 */
export const DEV_VAPID_PRIVATE_KEY = 'dvlO4Ju6g0SOF3SfL0BbP7aGUxVWktsURmw-a24DWQI';

/** Shortest secret accepted outside development, in UTF-8 bytes (HS256 wants at least its 256-bit output). */
export const MIN_SECRET_BYTES = 32;

/** The secrets this policy judges; the *_PREVIOUS ones only when they are set. */
export const POLICED_SECRETS = ['JWT_SECRET', 'INGEST_TOKEN', 'JWT_SECRET_PREVIOUS', 'INGEST_TOKEN_PREVIOUS'] as const;
export type PolicedSecret = (typeof POLICED_SECRETS)[number];

const KNOWN = new Set<string>(Object.values(DEV_VARS_EXAMPLE));

/** Why `value` may not be used as `name` outside development, or undefined when it may. Never quotes the value. */
export function secretProblem(name: PolicedSecret, value: string | undefined): string | undefined {
  const optional = name.endsWith('_PREVIOUS');
  if (value === undefined || value === '') return optional ? undefined : `${name} is not set`;
  if (KNOWN.has(value)) return `${name} is a published development value (from .dev.vars.example)`;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes < MIN_SECRET_BYTES) return `${name} is ${bytes} bytes long; at least ${MIN_SECRET_BYTES} are required`;
  return undefined;
}

/** Every problem of a set of secrets, in POLICED_SECRETS order. */
export function secretProblems(values: Partial<Record<PolicedSecret, string | undefined>>): string[] {
  return POLICED_SECRETS.flatMap((name) => secretProblem(name, values[name]) ?? []);
}

/** The deployment environments (ENVIRONMENT); anything else, or nothing, counts as production. */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** ENVIRONMENT as the Worker reads it: fail closed, so a missing or misspelt value is production. */
export function parseEnvironment(raw: string | undefined): Environment {
  const v = raw?.trim();
  return v === 'development' || v === 'staging' ? v : 'production';
}
