/** The Worker's configuration, read once per environment object and typed; nothing else reads bindings ad hoc. */
export type Config = {
  jwtSecret: string;
  ingestToken: string;
  corsOrigins: readonly string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** WRITE_RATE_PER_MINUTE (default 6000): events (and workflow changes, deletes) one token may write per minute; a POST costs its event count (worker/limits/). */
  writeRatePerMinute: number;
  /** The read and connection budgets of one token (worker/limits/, docs/security-limits.md). */
  limits: TokenLimits;
  /** RETENTION_DAYS (default 30): events older than this are deleted by the cron (worker/retention.ts); a bad value is reported there. */
  retention: { days: number } | { error: string };
  /** ROOM_SHARDS (default 1, at most MAX_ROOM_SHARDS): fan-out shards per category room (docs/rooms.md, "Sharded rooms"). */
  roomShards: number;
  /** PIPELINE_STALL_MS (default 60000): how long a partition may not move, or records wait with nothing stored, before `pipeline` says stalled (worker/pipeline.ts). */
  pipelineStallMs: number;
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

/** Upper bound of ROOM_SHARDS: a primary forwards every batch to each shard. */
export const MAX_ROOM_SHARDS = 64;

/** Bounds of RETENTION_DAYS. */
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;

function parseRetention(raw: string | undefined): Config['retention'] {
  const text = raw?.trim() ?? '';
  if (text === '') return { days: 30 };
  const days = Number(text);
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    return { error: `RETENTION_DAYS must be an integer from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}, got "${text}"` };
  }
  return { days };
}

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    const vars = env as unknown as Record<string, string | undefined>;
    const level = vars.LOG_LEVEL;
    config = {
      jwtSecret: vars.JWT_SECRET ?? '',
      ingestToken: vars.INGEST_TOKEN ?? '',
      corsOrigins: (vars.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
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
      roomShards: Math.min(positiveInt(vars.ROOM_SHARDS, 1), MAX_ROOM_SHARDS),
      pipelineStallMs: positiveInt(vars.PIPELINE_STALL_MS, 60_000),
    };
    cache.set(env, config);
  }
  return config;
}

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
