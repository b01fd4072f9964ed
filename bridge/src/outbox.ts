/**
 * The outbox relay: events made through the Worker's API are published to Kafka, at least once.
 * Each pass reads the pending rows (`GET /internal/outbox`), publishes them with acks=-1, and only
 * then acknowledges them (`POST /internal/outbox/ack`). A crash between publish and ack publishes
 * the rows again on the next pass; consumers dedupe by the event id, which is also the key.
 */
import { backoffMs, sleep } from './backoff.ts';
import { errorFields, log } from './log.ts';

/** One pending row as the Worker answers it. */
export type OutboxRow = { id: string; topic: string; createdAt: number; event: Record<string, unknown> };

/** Messages for one topic, in the shape kafkajs' `sendBatch` takes. */
export type TopicMessages = { topic: string; messages: { key: string; value: string; headers: Record<string, string> }[] };

/** The header that marks a record as made through the API (so consumers can tell the loop apart). */
export const ORIGIN_HEADER = 'x-quaycast-origin';

/** Rows per pass; a full page is followed at once by the next pass. */
export const OUTBOX_PAGE = 200;

/**
 * Groups rows into per-topic messages: key = event id, value = the canonical event JSON, header
 * `x-quaycast-origin: api`. `topicOf` maps the Worker's default topic names to the configured ones.
 * Pure.
 */
export function outboxMessages(rows: readonly OutboxRow[], topicOf: (row: OutboxRow) => string): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const row of rows) {
    const topic = topicOf(row);
    let entry = byTopic.get(topic);
    if (!entry) {
      entry = { topic, messages: [] };
      byTopic.set(topic, entry);
    }
    entry.messages.push({ key: row.id, value: JSON.stringify(row.event), headers: { [ORIGIN_HEADER]: 'api' } });
  }
  return [...byTopic.values()];
}

/** Maps the Worker's topic names (`container-events`, `port-events`) to the configured ones. */
export function outboxTopicMapper(containerTopic: string, portTopic: string): (row: OutboxRow) => string {
  return (row) => (row.topic === 'container-events' ? containerTopic : row.topic === 'port-events' ? portTopic : row.topic);
}

export type OutboxRelayOptions = {
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  intervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  topicOf: (row: OutboxRow) => string;
  /** Publishes with acks=-1; resolves only when Kafka has the records. */
  publish: (batches: TopicMessages[]) => Promise<void>;
  onPublished?: (topic: string, count: number) => void;
  /** Whether this bridge relays now (the group's outbox leader); checked before every pass. */
  isLeader?: () => boolean;
  signal: AbortSignal;
  fetch?: typeof fetch;
};

class OutboxError extends Error {
  override name = 'OutboxError';
}

async function call<T>(opts: OutboxRelayOptions, path: string, init: RequestInit = {}): Promise<T> {
  const res = await (opts.fetch ?? fetch)(`${opts.workerUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${opts.ingestToken}`, 'content-type': 'application/json' },
    signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]),
  });
  if (!res.ok) throw new OutboxError(`worker answered ${res.status} to ${init.method ?? 'GET'} ${path}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
  return (await res.json()) as T;
}

/** One pass: read, publish, acknowledge. Returns how many rows were published. */
export async function relayOnce(opts: OutboxRelayOptions): Promise<number> {
  const { data } = await call<{ data: OutboxRow[] }>(opts, `/internal/outbox?limit=${OUTBOX_PAGE}`);
  if (!Array.isArray(data)) throw new OutboxError('worker answered the outbox poll without a data array');
  if (data.length === 0) return 0;
  const batches = outboxMessages(data, opts.topicOf);
  await opts.publish(batches);
  // Published: from here a crash only means publishing these rows again (at least once).
  await call(opts, '/internal/outbox/ack', { method: 'POST', body: JSON.stringify({ ids: data.map((r) => r.id) }) });
  for (const b of batches) opts.onPublished?.(b.topic, b.messages.length);
  return data.length;
}

/** Relays until the signal aborts: every intervalMs, or at once after a full page; backs off on failure. */
export async function runOutboxRelay(opts: OutboxRelayOptions): Promise<void> {
  let failures = 0;
  while (!opts.signal.aborted) {
    let delay = opts.intervalMs;
    if (opts.isLeader && !opts.isLeader()) {
      await sleep(delay, opts.signal);
      continue;
    }
    try {
      const n = await relayOnce(opts);
      failures = 0;
      if (n > 0) log('info', 'outbox published', { events: n });
      if (n >= OUTBOX_PAGE) delay = 0;
    } catch (err) {
      if (opts.signal.aborted) break;
      delay = Math.max(opts.intervalMs, backoffMs(failures++, opts.retryInitialMs, opts.retryMaxMs));
      log('warn', 'outbox pass failed; retrying', { attempt: failures, delayMs: delay, ...errorFields(err) });
    }
    if (delay > 0) await sleep(delay, opts.signal);
  }
}
