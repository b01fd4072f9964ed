import { DEFAULT_MAX_LIFETIME_SECONDS } from '../protocol/jwt.ts';
import { log } from './log.ts';
import { base64UrlBytes } from '../protocol/schemas/push.ts';
import { DEV_VAPID_PRIVATE_KEY, parseEnvironment, secretProblems, type Environment } from './secret-policy.ts';

/** Problems already logged by this isolate: one error line each, not one per request. */
const loggedProblems = new Set<string>();

/** The Worker's configuration, read once per environment object and typed; nothing else reads bindings ad hoc. */
export type Config = {
  /** ENVIRONMENT: development (wrangler.toml's top level), staging or production; missing or unknown = production. */
  environment: Environment;
  /** JWT_SECRET, then JWT_SECRET_PREVIOUS when set (a rotation: both verify, the first is current). */
  jwtSecrets: readonly string[];
  /** INGEST_TOKEN, then INGEST_TOKEN_PREVIOUS when set. */
  ingestTokens: readonly string[];
  /**
   * Why nobody may be authenticated, or undefined: outside development, a secret that is short
   * or a published dev value (worker/secret-policy.ts); anywhere, a missing one. Never a secret.
   */
  insecure: string | undefined;
  /** JWT_MAX_LIFETIME_S (default 86400): the longest lifetime (exp − iat) of a token accepted. */
  jwtMaxLifetimeSeconds: number;
  /** JWT_ISSUER / JWT_AUDIENCE: checked against iss / aud when set. */
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  corsOrigins: readonly string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** WRITE_RATE_PER_MINUTE (default 6000): events (and workflow changes, deletes) one token may write per minute; a POST costs its event count (worker/limiter/, worker/middleware/rate-limit/). */
  writeRatePerMinute: number;
  /** The read and connection budgets of one token (worker/limiter/, docs/security.md "Limits that hold"). */
  limits: TokenLimits;
  /** RETENTION_DAYS (default 30): events older than this are deleted by the cron (worker/retention.ts); a bad value is reported there. */
  retention: { days: number } | { error: string };
  /**
   * Tiered storage (worker/archive/, docs/archive.md): HOT_DAYS (default 7) of changes stay in D1,
   * older ones move to the R2 bucket bound as ARCHIVE; ARCHIVE_RETENTION_DAYS (default 2555, seven
   * years) later they are deleted from it. Without the ARCHIVE binding the cron deletes by
   * RETENTION_DAYS instead (worker/retention.ts).
   */
  archive: { hotDays: number; retentionDays: number };
  /** ROOM_SHARDS (default 1, at most MAX_ROOM_SHARDS): fan-out shards per category room (docs/rooms.md, "Sharded rooms"). */
  roomShards: number;
  /** The rooms' send window (worker/room/send-window.ts, docs/rooms.md "Fan-out under load"). */
  roomSend: RoomSendConfig;
  /** PIPELINE_STALL_MS (default 60000): how long a partition may not move, or records wait with nothing stored, before `pipeline` says stalled (worker/pipeline.ts). */
  pipelineStallMs: number;
  /** Rules that act (docs/rules.md): webhook retries and the length of a rule's "minute". */
  rules: RulesConfig;
  /** Web Push (docs/push.md): on with a sound VAPID key pair and subject, else off and why. */
  push: PushConfig;
};

/**
 * VAPID_PUBLIC_KEY (base64url, 65-byte uncompressed P-256 point), VAPID_PRIVATE_KEY (secret,
 * base64url 32-byte scalar), VAPID_SUBJECT (mailto: or https:). Any of them missing or malformed,
 * or the published development private key outside development: push is off, and `reason` says
 * why (never quoting a key).
 */
export type PushConfig =
  | { enabled: true; publicKey: string; privateKey: string; subject: string }
  | { enabled: false; reason: string };

function parsePush(vars: Record<string, string | undefined>, environment: Environment): PushConfig {
  const publicKey = vars.VAPID_PUBLIC_KEY?.trim() ?? '';
  const privateKey = vars.VAPID_PRIVATE_KEY?.trim() ?? '';
  const subject = vars.VAPID_SUBJECT?.trim() ?? '';
  if (!publicKey && !privateKey)
    return { enabled: false, reason: 'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are not set' };
  const pub = base64UrlBytes(publicKey);
  if (pub?.length !== 65 || pub[0] !== 4)
    return { enabled: false, reason: 'VAPID_PUBLIC_KEY is not base64url of a 65-byte uncompressed P-256 point' };
  if (!privateKey) return { enabled: false, reason: 'VAPID_PRIVATE_KEY is not set' };
  if (base64UrlBytes(privateKey)?.length !== 32)
    return { enabled: false, reason: 'VAPID_PRIVATE_KEY is not base64url of 32 bytes' };
  if (environment !== 'development' && privateKey === DEV_VAPID_PRIVATE_KEY)
    return {
      enabled: false,
      reason: `VAPID_PRIVATE_KEY is a published development value (ENVIRONMENT=${environment})`,
    };
  if (!/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(subject))
    return { enabled: false, reason: 'VAPID_SUBJECT must be a mailto: or https: URI' };
  return { enabled: true, publicKey, privateKey, subject };
}

/** The rules' timing, each from its var (a missing or bad value takes the default). */
export type RulesConfig = {
  /** WEBHOOK_BACKOFF_BASE_MS (default 30000): the first retry's delay; each next one doubles, up to an hour. */
  backoffBaseMs: number;
  /** WEBHOOK_MAX_ATTEMPTS (default 20, about 14 hours): attempts before a delivery is `failed`. */
  maxAttempts: number;
  /** RULES_MINUTE_MS (default 60000): what `afterMinutes` counts in; tests shorten it. */
  minuteMs: number;
  /** EMAIL_FROM: the sender of rules' emails (the send_email binding). */
  emailFrom: string;
  /** RULES_KEEP_DAYS (default 90): notifications, settled deliveries, escalations and steps older than this are pruned by the cron. */
  keepDays: number;
};

/** Per-token read and connection limits, each from its var (a missing or bad value takes the default). */
export type TokenLimits = {
  /** SEARCH_RATE_PER_MINUTE (default 60): list or export requests with `q` per token per minute. */
  searchPerMinute: number;
  /** EXPORT_MAX_ROWS (default 100000): rows one CSV export streams at most. */
  exportMaxRows: number;
  /** EXPORT_ROWS_PER_MINUTE (default 200000): CSV rows one token may stream per minute, all exports together. */
  exportRowsPerMinute: number;
  /** LONG_POLLS_PER_TOKEN (default 10): long-polls (`wait`) one token may have open at once. */
  longPollsPerToken: number;
  /** CONNECTIONS_PER_TOKEN (default 40): room WebSockets and SSE streams one token may have open at once, across rooms. */
  connectionsPerToken: number;
  /** ROOM_CONNECTIONS_PER_TOKEN (default 10): the same in one room (on one shard of a sharded room). */
  roomConnectionsPerToken: number;
};

/** How a room spaces its frames under load; each field from its var (a missing or bad value takes the default). */
export type RoomSendConfig = {
  /** ROOM_SEND_BUDGET_PER_SECOND (default 20000): sends (subscribers × frames) per second a room aims to stay under. */
  budgetPerSecond: number;
  /** ROOM_MAX_SEND_DELAY_MS (default 100, at most MAX_SEND_DELAY_MS): the longest a change waits for its frame; 0 = never waits. */
  maxDelayMs: number;
  /** ROOM_SEND_WINDOW_MS (unset by default; 0 to MAX_SEND_DELAY_MS): a fixed window instead of the adaptive one, for the bench. */
  fixedWindowMs: number | undefined;
};

/** The send window's defaults (bench/README.md, "Send window", says why); RoomLimits starts from them too. */
export const DEFAULT_SEND_BUDGET_PER_SECOND = 20_000;
export const DEFAULT_MAX_SEND_DELAY_MS = 100;

/** Upper bound of ROOM_MAX_SEND_DELAY_MS and ROOM_SEND_WINDOW_MS: beyond it a frame is late, not batched. */
export const MAX_SEND_DELAY_MS = 1000;

/** Upper bound of ROOM_SHARDS: a primary forwards every batch to each shard. */
export const MAX_ROOM_SHARDS = 64;

/** Days of changes D1 keeps when the archive is bound (HOT_DAYS). */
export const DEFAULT_HOT_DAYS = 7;
/** Days the archive keeps a change after it moved there (ARCHIVE_RETENTION_DAYS): seven years. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 2555;

/** Bounds of RETENTION_DAYS. */
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;

function parseRetention(raw: string | undefined): Config['retention'] {
  const text = raw?.trim() ?? '';
  if (text === '') return { days: 30 };
  const days = Number(text);
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    return {
      error: `RETENTION_DAYS must be an integer from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}, got "${text}"`,
    };
  }
  return { days };
}

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    const vars = env as unknown as Record<string, string | undefined>;
    const level = vars.LOG_LEVEL;
    const environment = parseEnvironment(vars.ENVIRONMENT);
    const secrets = {
      JWT_SECRET: vars.JWT_SECRET,
      INGEST_TOKEN: vars.INGEST_TOKEN,
      JWT_SECRET_PREVIOUS: vars.JWT_SECRET_PREVIOUS,
      INGEST_TOKEN_PREVIOUS: vars.INGEST_TOKEN_PREVIOUS,
    };
    const problems =
      environment === 'development'
        ? secretProblems(secrets).filter((p) => p.endsWith('is not set'))
        : secretProblems(secrets);
    config = {
      environment,
      jwtSecrets: [secrets.JWT_SECRET, secrets.JWT_SECRET_PREVIOUS].filter((s): s is string => !!s),
      ingestTokens: [secrets.INGEST_TOKEN, secrets.INGEST_TOKEN_PREVIOUS].filter((s): s is string => !!s),
      insecure: problems.length === 0 ? undefined : `${problems.join('; ')} (ENVIRONMENT=${environment})`,
      jwtMaxLifetimeSeconds: positiveInt(vars.JWT_MAX_LIFETIME_S, DEFAULT_MAX_LIFETIME_SECONDS),
      jwtIssuer: vars.JWT_ISSUER?.trim() || undefined,
      jwtAudience: vars.JWT_AUDIENCE?.trim() || undefined,
      corsOrigins: (vars.CORS_ORIGINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      logLevel: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info',
      writeRatePerMinute: positiveInt(vars.WRITE_RATE_PER_MINUTE, 6000),
      limits: {
        searchPerMinute: positiveInt(vars.SEARCH_RATE_PER_MINUTE, 60),
        exportMaxRows: positiveInt(vars.EXPORT_MAX_ROWS, 100_000),
        exportRowsPerMinute: positiveInt(vars.EXPORT_ROWS_PER_MINUTE, 200_000),
        longPollsPerToken: positiveInt(vars.LONG_POLLS_PER_TOKEN, 10),
        connectionsPerToken: positiveInt(vars.CONNECTIONS_PER_TOKEN, 40),
        roomConnectionsPerToken: positiveInt(vars.ROOM_CONNECTIONS_PER_TOKEN, 10),
      },
      retention: parseRetention(vars.RETENTION_DAYS),
      archive: {
        hotDays: Math.min(positiveInt(vars.HOT_DAYS, DEFAULT_HOT_DAYS), MAX_RETENTION_DAYS),
        retentionDays: Math.min(positiveInt(vars.ARCHIVE_RETENTION_DAYS, DEFAULT_ARCHIVE_RETENTION_DAYS), 36_500),
      },
      roomShards: Math.min(positiveInt(vars.ROOM_SHARDS, 1), MAX_ROOM_SHARDS),
      pipelineStallMs: positiveInt(vars.PIPELINE_STALL_MS, 60_000),
      rules: {
        backoffBaseMs: positiveInt(vars.WEBHOOK_BACKOFF_BASE_MS, 30_000),
        maxAttempts: positiveInt(vars.WEBHOOK_MAX_ATTEMPTS, 20),
        minuteMs: positiveInt(vars.RULES_MINUTE_MS, 60_000),
        emailFrom: vars.EMAIL_FROM?.trim() || 'quaycast-alerts@example.com',
        keepDays: positiveInt(vars.RULES_KEEP_DAYS, 90),
      },
      push: parsePush(vars, environment),
      roomSend: {
        budgetPerSecond: positiveInt(vars.ROOM_SEND_BUDGET_PER_SECOND, DEFAULT_SEND_BUDGET_PER_SECOND),
        maxDelayMs: boundedInt(vars.ROOM_MAX_SEND_DELAY_MS, MAX_SEND_DELAY_MS) ?? DEFAULT_MAX_SEND_DELAY_MS,
        fixedWindowMs: boundedInt(vars.ROOM_SEND_WINDOW_MS, MAX_SEND_DELAY_MS),
      },
    };
    cache.set(env, config);
    if (config.insecure && !loggedProblems.has(config.insecure)) {
      loggedProblems.add(config.insecure);
      log('error', 'insecure configuration: refusing to authenticate anyone', { problem: config.insecure });
    }
    const push = config.push;
    // No keys is a choice (push off, silent); half a configuration is worth a warning, unusable keys an error.
    if (!push.enabled && !push.reason.endsWith('are not set') && !loggedProblems.has(push.reason)) {
      loggedProblems.add(push.reason);
      log(push.reason.endsWith('is not set') ? 'warn' : 'error', 'web push is off', { problem: push.reason });
    }
  }
  return config;
}

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** An integer from 0 to `max` written in `text`, else undefined (missing, empty, negative, fractional, too big). */
function boundedInt(text: string | undefined, max: number): number | undefined {
  const trimmed = text?.trim() ?? '';
  const n = Number(trimmed);
  return trimmed !== '' && Number.isSafeInteger(n) && n >= 0 && n <= max ? n : undefined;
}
