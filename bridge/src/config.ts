/**
 * The bridge's configuration, parsed once from the environment at start-up. A bad value stops
 * the process with a message naming the variable; nothing else reads process.env.
 */
export type BridgeConfig = {
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: string[];
  workerUrl: string;
  ingestToken: string;
  /** Most records in one forward to the Worker. */
  batchMaxMessages: number;
  /** Most bytes of record values in one forward. */
  batchMaxBytes: number;
  /** How long a partial batch may wait for more records before it is forwarded. */
  batchMaxAgeMs: number;
  /** Partitions processed at once (order is kept within each). */
  partitionsConcurrently: number;
  /** Consumer group session timeout: how long a dead member holds its partitions. */
  sessionTimeoutMs: number;
  /** One forward's timeout (WORKER_TIMEOUT_MS). */
  requestTimeoutMs: number;
  retryInitialMs: number;
  /** Longest backoff; also caps a Worker's Retry-After. */
  retryMaxMs: number;
  /**
   * Longest one `eachBatch` waits for a forward's answer before it pauses only that partition
   * (and keeps the answer for its refetched batch), so a slow Worker for one partition does not
   * hold the fetch round of the others.
   */
  forwardWaitMs: number;
  /** Failures of one record alone, while the Worker is otherwise healthy, before it is isolated to the DLQ. */
  isolateAfterAttempts: number;
  /** The last attempt before an isolation: the record alone, with this long to be answered (default 3 × WORKER_TIMEOUT_MS, at least 30 s). */
  isolateConfirmTimeoutMs: number;
  /** A partition whose head has been failing this long makes /healthz answer 503. */
  stallThresholdMs: number;
  /** How often lag is read from the broker and the liveness report is sent to the Worker. */
  statusIntervalMs: number;
  metricsHost: string;
  metricsPort: number;
  /**
   * With OUTBOX_WAIT_S 0: how often the outbox is polled. With a long-poll: the least time between
   * two empty reads (an older Worker that does not hold the read is polled no faster than this).
   */
  outboxIntervalMs: number;
  /** Seconds the Worker may hold an empty outbox read, answering as soon as an API event is stored (0: poll). */
  outboxWaitS: number;
  /** Whether this bridge publishes the outbox (one replica is enough; more only duplicate). */
  outboxEnabled: boolean;
  /** Where API-made events go: Container events, and all others (DESIGN.md, Kafka). */
  outboxContainerTopic: string;
  outboxPortTopic: string;
  ssl: boolean;
  sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = Record<string, string | undefined>;

function str(env: Source, name: string, fallback?: string): string {
  const v = env[name]?.trim();
  if (v) return v;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${name} is required`);
}

function int(env: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function bool(env: Source, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function list(env: Source, name: string, fallback: string): string[] {
  const items = str(env, name, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${name} must list at least one value`);
  return items;
}

/** What a Kafka client needs (the bridge, and the DLQ CLI which needs nothing else). */
export type KafkaConnectionConfig = Pick<BridgeConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

/**
 * The cluster connection. SASL over a plaintext connection sends the credentials (PLAIN: the
 * password itself) and every record unencrypted, so it needs KAFKA_ALLOW_PLAINTEXT_SASL=true
 * (a local test cluster); a typo in KAFKA_SSL is an error, never a silent plaintext connection.
 */
export function parseKafkaConfig(env: Source): KafkaConnectionConfig {
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (mechanism && mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
    throw new ConfigError(`KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`);
  }
  const ssl = bool(env, 'KAFKA_SSL', false);
  const allowPlaintextSasl = bool(env, 'KAFKA_ALLOW_PLAINTEXT_SASL', false);
  if (mechanism && !ssl && !allowPlaintextSasl) {
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM is set without KAFKA_SSL=true: the credentials would cross the network unencrypted; set KAFKA_SSL=true, or KAFKA_ALLOW_PLAINTEXT_SASL=true for a cluster on a trusted network',
    );
  }
  return {
    brokers: list(env, 'KAFKA_BROKERS', '127.0.0.1:9092'),
    clientId: str(env, 'KAFKA_CLIENT_ID', 'quaycast-bridge'),
    ssl,
    sasl: mechanism
      ? {
          mechanism: mechanism as 'plain',
          username: str(env, 'KAFKA_SASL_USERNAME'),
          password: str(env, 'KAFKA_SASL_PASSWORD'),
        }
      : undefined,
  };
}

/** The topics the bridge consumes (KAFKA_TOPICS): also the only ones the DLQ CLI replays to. */
export function parseTopics(env: Source): string[] {
  return list(env, 'KAFKA_TOPICS', 'port-events,container-events');
}

/** Hosts that are this machine: the only ones a Worker may be reached on over plain http. */
function isLoopbackHost(hostname: string): boolean {
  // URL has already normalised the host: `127.1` and `2130706433` read as 127.0.0.1, IPv6 is bracketed and compressed.
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * WORKER_URL: https, or http to a loopback address only (the service token and every record
 * travel on it). No credentials in it (the URL is logged at start-up), no query or fragment
 * (paths are appended to it).
 */
function parseWorkerUrl(env: Source): string {
  const workerUrl = str(env, 'WORKER_URL', 'http://127.0.0.1:8787').replace(/\/+$/, '');
  // `new URL('localhost:8787')` parses (scheme "localhost:"): insist on http(s) so the mistake fails here, not at the first fetch.
  const url = URL.canParse(workerUrl) ? new URL(workerUrl) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol))
    throw new ConfigError(`WORKER_URL must be an absolute http(s) URL, got "${workerUrl}"`);
  if (url.username || url.password)
    throw new ConfigError(
      'WORKER_URL must not carry a user name or password (the bridge authenticates with INGEST_TOKEN)',
    );
  if (url.search || url.hash) throw new ConfigError(`WORKER_URL must not have a query or fragment, got "${workerUrl}"`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      `WORKER_URL must use https unless it is a loopback address (localhost, 127.0.0.0/8, [::1]), got "${workerUrl}"`,
    );
  }
  return workerUrl;
}

/** The bridge's whole configuration; throws ConfigError naming the first bad variable. */
export function parseConfig(env: Source): BridgeConfig {
  const workerUrl = parseWorkerUrl(env);
  const kafka = parseKafkaConfig(env);
  const level = env.LOG_LEVEL?.trim();
  if (level && !['debug', 'info', 'warn', 'error'].includes(level))
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, got "${level}"`);
  return {
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    groupId: str(env, 'KAFKA_GROUP_ID', 'container-tracking-group'),
    topics: parseTopics(env),
    workerUrl,
    ingestToken: str(env, 'INGEST_TOKEN'),
    batchMaxMessages: int(env, 'BATCH_MAX_MESSAGES', 500, 1, 1000),
    batchMaxBytes: int(env, 'BATCH_MAX_BYTES', 2 * 1024 * 1024, 1024, 3 * 1024 * 1024),
    batchMaxAgeMs: int(env, 'BATCH_MAX_AGE_MS', 5, 0, 10_000),
    partitionsConcurrently: int(env, 'PARTITIONS_CONCURRENTLY', 3, 1, 64),
    sessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6000, 300_000),
    requestTimeoutMs: int(env, 'WORKER_TIMEOUT_MS', 10_000, 100, 120_000),
    retryInitialMs: int(env, 'RETRY_INITIAL_MS', 200, 1, 60_000),
    retryMaxMs: int(env, 'RETRY_MAX_MS', 10_000, 1, 300_000),
    forwardWaitMs: int(env, 'FORWARD_WAIT_MS', 1000, 10, 120_000),
    // At least 2: one failure may race with the Worker's recovery (an answer sent before it, heard after).
    isolateAfterAttempts: int(env, 'ISOLATE_AFTER_ATTEMPTS', 3, 2, 100),
    isolateConfirmTimeoutMs: int(
      env,
      'ISOLATE_CONFIRM_TIMEOUT_MS',
      Math.min(300_000, Math.max(30_000, 3 * int(env, 'WORKER_TIMEOUT_MS', 10_000, 100, 120_000))),
      100,
      300_000,
    ),
    stallThresholdMs: int(env, 'STALL_THRESHOLD_MS', 60_000, 1000, 86_400_000),
    statusIntervalMs: int(env, 'STATUS_INTERVAL_MS', 30_000, 1000, 3_600_000),
    metricsHost: str(env, 'METRICS_HOST', '127.0.0.1'),
    metricsPort: int(env, 'METRICS_PORT', 9464, 0, 65_535),
    outboxIntervalMs: int(env, 'OUTBOX_INTERVAL_MS', 250, 10, 60_000),
    // At most the Worker's MAX_OUTBOX_WAIT_S (30): a longer wait is refused with 400.
    outboxWaitS: int(env, 'OUTBOX_WAIT_S', 30, 0, 30),
    outboxEnabled: bool(env, 'OUTBOX_ENABLED', true),
    outboxContainerTopic: str(env, 'OUTBOX_CONTAINER_TOPIC', 'container-events'),
    outboxPortTopic: str(env, 'OUTBOX_PORT_TOPIC', 'port-events'),
    ssl: kafka.ssl,
    sasl: kafka.sasl,
    logLevel: (level as BridgeConfig['logLevel']) ?? 'info',
  };
}
