/**
 * The port-day simulator: produces realistic Quaycast events at a steady rate into Kafka (through
 * the bridge's kafkajs module) or to the Worker's `POST /api/events`.
 *
 *   node scripts/simulate.ts --rate 200 --minutes 10 [--target kafka|http] [--brokers 127.0.0.1:9092]
 *        [--url http://127.0.0.1:8787] [--token <jwt>] [--seed N] [--legacy-share 0.1]
 *        [--run-id ID] [--compression none|gzip|snappy]
 *
 * `--minutes 0` runs until SIGINT/SIGTERM. Logs one JSON line per 5 s with what was sent.
 * Exit codes: 0 done or stopped by a signal, 1 the target refused or could not be reached, 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { sleep } from '../bridge/src/backoff.ts';
import { COMPRESSION, createKafka, createProducer } from '../bridge/src/kafka.ts';
import { groupByTopic } from '../bridge/src/topic-messages.ts';
import { createPortDay, type SimRecord } from './sim/portday.ts';

const USAGE = `usage: node scripts/simulate.ts --rate <events/s> --minutes <n, 0 = until stopped>
  [--target kafka|http] [--brokers host:port,...] [--url http://127.0.0.1:8787] [--token <jwt>]
  [--seed <uint32>] [--legacy-share 0..1] [--run-id <id>] [--compression none|gzip|snappy]
  The http target takes its token from --token or QUAYCAST_TOKEN.`;

// lz4 is left out: the broker answers UNKNOWN_SERVER_ERROR to batches from the bridge's lz4js encoder.
const COMPRESSIONS = ['none', 'gzip', 'snappy'] as const;
type Compression = (typeof COMPRESSIONS)[number];

type SimulatorConfig = {
  target: 'kafka' | 'http';
  ratePerSec: number;
  /** 0 = until a signal. */
  durationMs: number;
  brokers: string[];
  url: string;
  token: string | undefined;
  seed: number;
  runId: string;
  legacyShare: number;
  compression: Compression;
  tickMs: number;
  progressEveryMs: number;
};

class UsageError extends Error {
  override name = 'UsageError';
}

function numberArg(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

/** Parses the command line (and QUAYCAST_TOKEN) into the simulator's config; throws UsageError. */
function parseSimulatorArgs(
  argv: string[],
  env: Record<string, string | undefined>,
  clock = Date.now(),
): SimulatorConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rate: { type: 'string' },
        minutes: { type: 'string' },
        target: { type: 'string' },
        brokers: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        seed: { type: 'string' },
        'legacy-share': { type: 'string' },
        'run-id': { type: 'string' },
        compression: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const str = (name: string) => values[name] as string | undefined;
  if (values.help) throw new UsageError('');
  if (str('rate') === undefined) throw new UsageError('--rate is required');
  if (str('minutes') === undefined) throw new UsageError('--minutes is required (0 = until stopped)');

  const target = str('target') ?? 'kafka';
  if (target !== 'kafka' && target !== 'http') throw new UsageError(`--target must be kafka or http, got "${target}"`);

  const brokers = (str('brokers') ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError('--brokers must list at least one host:port');
  for (const b of brokers) {
    const port = Number(/^[^\s:]+:(\d+)$/.exec(b)?.[1]);
    if (!(port >= 1 && port <= 65535)) throw new UsageError(`--brokers entries must be host:port, got "${b}"`);
  }

  const url = (str('url') ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`--url must be an absolute http(s) URL, got "${url}"`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')
    throw new UsageError(`--url must be http or https, got "${url}"`);

  const token = str('token')?.trim() || env.QUAYCAST_TOKEN?.trim() || undefined;
  if (target === 'http' && !token)
    throw new UsageError('the http target needs a producer token: --token <jwt> or QUAYCAST_TOKEN');

  const compression = str('compression') ?? 'none';
  if (!(COMPRESSIONS as readonly string[]).includes(compression))
    throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}, got "${compression}"`);

  const runId = str('run-id') ?? clock.toString(36);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(runId))
    throw new UsageError(`--run-id must be 1-64 characters of A-Z a-z 0-9 . _ -, got "${runId}"`);

  const ratePerSec = numberArg('rate', str('rate'), 0, 0.1, 100_000);
  return {
    target,
    ratePerSec,
    durationMs: Math.round(numberArg('minutes', str('minutes'), 0, 0, 7 * 24 * 60) * 60_000),
    brokers,
    url,
    token,
    seed: numberArg('seed', str('seed'), clock % 2 ** 32, 0, 2 ** 32 - 1, true),
    runId,
    legacyShare: numberArg('legacy-share', str('legacy-share'), 0.1, 0, 1),
    compression: compression as Compression,
    // Small batches: about 10 sends a second, fewer when the rate is low.
    tickMs: Math.max(100, Math.min(1000, Math.round(1000 / ratePerSec))),
    progressEveryMs: 5000,
  };
}

// ---------------------------------------------------------------------------------------------

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ ts: new Date().toISOString(), level, component: 'simulator', msg, ...fields })}\n`,
  );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** A failure no retry will fix (wrong token, missing route): the simulator stops with exit code 1. */
class FatalSinkError extends Error {
  override name = 'FatalSinkError';
}

/** What one tick's send achieved: the records that went out, and how many did not. */
type SendOutcome = { sent: SimRecord[]; failed: number; error?: string; retryAfterMs?: number };
type Sink = { send(records: SimRecord[]): Promise<SendOutcome>; close(): Promise<void> };

async function createKafkaSink(config: SimulatorConfig): Promise<Sink> {
  const producer = createProducer(
    createKafka({ brokers: config.brokers, clientId: 'quaycast-simulator', ssl: false, sasl: undefined }),
  );
  try {
    await producer.connect();
  } catch (err) {
    throw new FatalSinkError(`cannot connect to Kafka at ${config.brokers.join(',')}: ${errorMessage(err)}`);
  }
  const compression = COMPRESSION[config.compression];
  const headers = { 'content-type': 'application/json', 'x-producer': 'quaycast-simulator', 'x-sim-run': config.runId };
  return {
    async send(records) {
      const topicMessages = groupByTopic(
        records,
        (r) => r.topic,
        (r) => ({ key: r.key, value: JSON.stringify(r.value), headers }),
      );
      try {
        await producer.sendBatch({ acks: -1, compression, topicMessages });
        return { sent: records, failed: 0 };
      } catch (err) {
        // kafkajs has already retried; these events are dropped and counted, the next tick tries again.
        return { sent: [], failed: records.length, error: errorMessage(err) };
      }
    },
    close: () => producer.disconnect(),
  };
}

/** The API takes at most 500 events per request (DESIGN.md). */
const MAX_EVENTS_PER_POST = 500;

function createHttpSink(config: SimulatorConfig): Sink {
  const endpoint = `${config.url}/api/events`;
  async function post(records: SimRecord[]): Promise<SendOutcome> {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(records.map((r) => r.value)),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      return { sent: [], failed: records.length, error: `POST ${endpoint}: ${errorMessage(err)}` };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { sent: records, failed: 0 };
    const detail = `POST ${endpoint} answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
    if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 405)
      throw new FatalSinkError(detail);
    if (res.status === 429) {
      const seconds = Number(res.headers.get('retry-after'));
      return {
        sent: [],
        failed: records.length,
        error: detail,
        retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
      };
    }
    return { sent: [], failed: records.length, error: detail };
  }
  return {
    async send(records) {
      const total: SendOutcome = { sent: [], failed: 0 };
      for (let i = 0; i < records.length; i += MAX_EVENTS_PER_POST) {
        const outcome = await post(records.slice(i, i + MAX_EVENTS_PER_POST));
        total.sent.push(...outcome.sent);
        total.failed += outcome.failed;
        total.error = outcome.error ?? total.error;
        if (outcome.retryAfterMs) {
          // Rate-limited: the rest of this tick is not sent either.
          total.retryAfterMs = outcome.retryAfterMs;
          total.failed += Math.max(0, records.length - i - MAX_EVENTS_PER_POST);
          break;
        }
      }
      return total;
    },
    close: async () => undefined,
  };
}

// ---------------------------------------------------------------------------------------------

type Counters = {
  sent: number;
  failed: number;
  skipped: number;
  legacy: number;
  byTopic: Record<string, number>;
  byCategory: Record<string, number>;
  bySeverity: Record<string, number>;
};
const emptyCounters = (): Counters => ({
  sent: 0,
  failed: 0,
  skipped: 0,
  legacy: 0,
  byTopic: {},
  byCategory: {},
  bySeverity: {},
});
const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Produces at the configured rate until the duration is over or `signal` aborts. */
async function run(config: SimulatorConfig, sink: Sink, signal: AbortSignal): Promise<Counters> {
  const portDay = createPortDay({
    seed: config.seed,
    runId: config.runId,
    legacyShare: config.legacyShare,
    now: Date.now,
  });
  const total = emptyCounters();
  let window = emptyCounters();
  let windowStart = performance.now();
  let lastError: string | undefined;
  const runStart = performance.now();
  let made = 0;
  let skippedMs = 0; // time given up when the target was slower than the rate
  let pausedUntil = 0;
  const maxBacklog = Math.max(1, Math.ceil(config.ratePerSec)); // at most one second of catch-up

  const report = (final: boolean) => {
    const seconds = (performance.now() - windowStart) / 1000;
    log(window.failed > 0 ? 'warn' : 'info', final ? 'simulator finished' : 'progress', {
      target: config.target,
      runId: config.runId,
      windowSec: Math.round(seconds * 10) / 10,
      sent: window.sent,
      failed: window.failed,
      skipped: window.skipped,
      ratePerSec: seconds > 0 ? Math.round((window.sent / seconds) * 10) / 10 : 0,
      legacy: window.legacy,
      byTopic: window.byTopic,
      byCategory: window.byCategory,
      bySeverity: window.bySeverity,
      totalSent: total.sent,
      totalFailed: total.failed,
      ...(window.failed > 0 && lastError ? { lastError } : {}),
    });
    window = emptyCounters();
    windowStart = performance.now();
    lastError = undefined;
  };

  for (;;) {
    const tickStart = performance.now();
    const elapsed = tickStart - runStart;
    const finished = signal.aborted || (config.durationMs > 0 && elapsed >= config.durationMs);
    const horizonMs = (config.durationMs > 0 ? Math.min(elapsed, config.durationMs) : elapsed) - skippedMs;
    let due = Math.floor((config.ratePerSec * horizonMs) / 1000) - made;
    if (due > maxBacklog || (due > 0 && tickStart < pausedUntil)) {
      // Slower target or Retry-After: give the time up rather than burst to catch up later.
      const keep = tickStart < pausedUntil ? 0 : maxBacklog;
      skippedMs += ((due - keep) * 1000) / config.ratePerSec;
      for (const c of [total, window]) c.skipped += due - keep;
      due = keep;
    }
    if (due > 0 && !signal.aborted) {
      const records: SimRecord[] = [];
      for (let i = 0; i < due; i++) records.push(portDay.next());
      made += due;
      const outcome = await sink.send(records);
      if (outcome.error) lastError = outcome.error;
      if (outcome.retryAfterMs) pausedUntil = performance.now() + outcome.retryAfterMs;
      for (const c of [total, window]) {
        c.sent += outcome.sent.length;
        c.failed += outcome.failed;
        for (const r of outcome.sent) {
          bump(c.byTopic, r.topic);
          bump(c.byCategory, r.category);
          bump(c.bySeverity, r.severity);
          if (r.legacy) c.legacy++;
        }
      }
    }
    if (finished) break;
    if (performance.now() - windowStart >= config.progressEveryMs) report(false);
    await sleep(config.tickMs - (performance.now() - tickStart), signal);
  }
  report(true);
  return total;
}

async function main(): Promise<void> {
  let config: SimulatorConfig;
  try {
    config = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`simulate: ${err.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      process.exit(err.message ? 2 : 0);
    }
    throw err;
  }

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log('warn', `second ${signal}: exiting without a clean shutdown`);
      process.exit(130);
    }
    log('info', `${signal} received; stopping`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log('info', 'simulator starting', {
    target: config.target,
    ratePerSec: config.ratePerSec,
    minutes: config.durationMs / 60_000,
    seed: config.seed,
    runId: config.runId,
    legacyShare: config.legacyShare,
    ...(config.target === 'kafka' ? { brokers: config.brokers, compression: config.compression } : { url: config.url }),
  });

  let sink: Sink;
  try {
    sink = config.target === 'kafka' ? await createKafkaSink(config) : createHttpSink(config);
  } catch (err) {
    log('error', errorMessage(err));
    process.exit(1);
  }
  let exitCode = 0;
  try {
    await run(config, sink, abort.signal);
  } catch (err) {
    log('error', err instanceof FatalSinkError ? err.message : `simulator failed: ${errorMessage(err)}`);
    exitCode = 1;
  } finally {
    await sink.close().catch((err) => log('warn', 'closing the producer failed', { error: errorMessage(err) }));
  }
  process.exit(exitCode);
}

await main();
