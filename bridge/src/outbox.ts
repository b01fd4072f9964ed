/**
 * The outbox relay: events made through the Worker's API are published to Kafka, at least once.
 * Each pass reads the pending rows (`GET /internal/outbox`), publishes them with acks=-1, and only
 * then acknowledges them (`POST /internal/outbox/ack`). A crash between publish and ack publishes
 * the rows again on the next pass; consumers dedupe by the event id, which is also the key.
 *
 * The read is a long-poll (`?wait=OUTBOX_WAIT_S`): the Worker holds it while the outbox is empty
 * and answers as soon as the API stores an event, so an idle bridge makes one request per wait
 * instead of one per OUTBOX_INTERVAL_MS. One request is in flight; it is re-armed at once after
 * every answer, backs off after errors, and is aborted on shutdown.
 *
 * The Worker is not trusted to pick topics: a row may only name the outbox's two destinations
 * (the Worker's `container-events` / `port-events`, or the configured names they map to). A row
 * naming any other topic, or not of the expected shape, is refused: logged, counted, never
 * published, and acknowledged so that it cannot sit at the head of every page forever.
 */
import { backoffMs, sleep } from './backoff.ts';
import { errorFields, log } from './log.ts';
import { groupByTopic, type TopicMessages as TopicBatch } from './topic-messages.ts';
import {
  MAX_ERROR_BODY_BYTES,
  MAX_OUTBOX_PAGE_BYTES,
  parseOutboxPage,
  readBoundedText,
  type MalformedOutboxRow,
  type OutboxRow,
} from './worker-answer.ts';

export type { OutboxRow } from './worker-answer.ts';

/** A published outbox row: key = event id, value = the canonical event, the origin header. */
export type OutboxMessage = { key: string; value: string; headers: Record<string, string> };

/** Messages for one topic, in the shape kafkajs' `sendBatch` takes. */
export type TopicMessages = TopicBatch<OutboxMessage>;

/** The header that marks a record as made through the API (so consumers can tell the loop apart). */
export const ORIGIN_HEADER = 'x-quaycast-origin';

/** Rows per pass; a full page is followed at once by the next pass. */
export const OUTBOX_PAGE = 200;

/**
 * Groups rows into per-topic messages: key = event id, value = the canonical event JSON, header
 * `x-quaycast-origin: api`. `topicOf` gives each row's (already allowed) topic. Pure.
 */
export function outboxMessages(rows: readonly OutboxRow[], topicOf: (row: OutboxRow) => string): TopicMessages[] {
  return groupByTopic(
    rows,
    topicOf,
    (row): OutboxMessage => ({ key: row.id, value: JSON.stringify(row.event), headers: { [ORIGIN_HEADER]: 'api' } }),
  );
}

/**
 * Where a row may be published: the Worker's topic names (`container-events`, `port-events`)
 * map to the configured ones, which are accepted as named too; any other name gives undefined
 * (refused).
 */
export function outboxTopicMapper(containerTopic: string, portTopic: string): (row: OutboxRow) => string | undefined {
  const allowed = new Map([
    ['container-events', containerTopic],
    ['port-events', portTopic],
    [containerTopic, containerTopic],
    [portTopic, portTopic],
  ]);
  return (row) => allowed.get(row.topic);
}

/** A row the relay will not publish, and why (for the log line). */
export type RefusedOutboxRow = { id: string | undefined; topic?: string; problem: string };

/**
 * Splits a page into rows to publish (with their topic) and rows refused: a topic not allowed,
 * an event whose own id is not the row's id (the id is the Kafka key consumers dedupe by), or
 * a row of the wrong shape. Pure.
 */
export function screenOutboxRows(
  rows: readonly OutboxRow[],
  malformed: readonly { id: string | undefined; problem: string }[],
  topicOf: (row: OutboxRow) => string | undefined,
): { publish: { row: OutboxRow; topic: string }[]; refused: RefusedOutboxRow[] } {
  const publish: { row: OutboxRow; topic: string }[] = [];
  const refused: RefusedOutboxRow[] = malformed.map((m) => ({ id: m.id, problem: `not an outbox row: ${m.problem}` }));
  for (const row of rows) {
    const topic = topicOf(row);
    if (topic === undefined)
      refused.push({
        id: row.id,
        topic: row.topic.slice(0, 249),
        problem: 'names a topic the outbox does not publish to',
      });
    else if (row.event.id !== row.id) refused.push({ id: row.id, problem: "the event's id is not the row's id" });
    else publish.push({ row, topic });
  }
  return { publish, refused };
}

export type OutboxRelayOptions = {
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  /**
   * Polling only (waitS 0): the pause between passes. With a long-poll: the least time between the
   * starts of two passes that found nothing, so a Worker that ignores `wait` (one older than the
   * long-poll) is polled at the old rate rather than in a busy loop.
   */
  intervalMs: number;
  /** Seconds the Worker may hold an empty read (OUTBOX_WAIT_S); 0 polls every intervalMs. */
  waitS?: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** The row's topic, or undefined when it names one the outbox must not publish to (outboxTopicMapper). */
  topicOf: (row: OutboxRow) => string | undefined;
  /** Publishes with acks=-1; resolves only when Kafka has the records. */
  publish: (batches: TopicMessages[]) => Promise<void>;
  onPublished?: (topic: string, count: number) => void;
  /** Rows refused (never published) in one pass. */
  onRefused?: (count: number) => void;
  /** Whether this bridge relays now (the group's outbox leader); checked before every pass and again when its read answers. */
  isLeader?: () => boolean;
  /**
   * Carries out due dead-letter replays (`replays.ts`). When set, the read asks to be woken for
   * them (`replays=1`) and this runs after a pass whose answer said some are due: the wake rides
   * on the outbox long-poll, so it costs no request of its own.
   */
  onReplaysDue?: () => Promise<void>;
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** The clock the loop spaces empty passes by (tests). */
  now?: () => number;
};

class OutboxError extends Error {
  override name = 'OutboxError';
}

async function call(
  opts: OutboxRelayOptions,
  path: string,
  init: RequestInit = {},
  maxBytes = MAX_ERROR_BODY_BYTES,
  heldMs = 0,
): Promise<string> {
  const res = await (opts.fetch ?? fetch)(`${opts.workerUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${opts.ingestToken}`, 'content-type': 'application/json' },
    // A long-poll may be held for its wait: the timeout counts from the end of it.
    signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs + heldMs), opts.signal]),
  });
  if (!res.ok) {
    const text = await readBoundedText(res, MAX_ERROR_BODY_BYTES).catch(() => '(body not read)');
    throw new OutboxError(`worker answered ${res.status} to ${init.method ?? 'GET'} ${path}: ${text.slice(0, 200)}`);
  }
  return readBoundedText(res, maxBytes);
}

/** What one pass did: rows published, and rows refused (acknowledged, never published). */
export type RelayPass = { published: number; refused: number; replays?: number };

/** One pass: read, screen, publish, acknowledge. */
export async function relayOnce(opts: OutboxRelayOptions): Promise<RelayPass> {
  const waitS = opts.waitS ?? 0;
  const query =
    (waitS > 0 ? `limit=${OUTBOX_PAGE}&wait=${waitS}` : `limit=${OUTBOX_PAGE}`) +
    (opts.onReplaysDue ? '&replays=1' : '');
  const { rows, malformed, replays } = parseOutboxPage(
    await call(opts, `/internal/outbox?${query}`, {}, MAX_OUTBOX_PAGE_BYTES, waitS * 1000),
  );
  const pass = await publishPage(opts, rows, malformed);
  // After the page: replays never hold up API events. A failing replay pass fails this pass (backoff).
  if (replays > 0 && opts.onReplaysDue && (!opts.isLeader || opts.isLeader())) {
    await opts.onReplaysDue();
    return { ...pass, replays };
  }
  return pass;
}

async function publishPage(
  opts: OutboxRelayOptions,
  rows: OutboxRow[],
  malformed: MalformedOutboxRow[],
): Promise<RelayPass> {
  if (rows.length === 0 && malformed.length === 0) return { published: 0, refused: 0 };
  // A held read may outlive this bridge's leadership (a rebalance while it waited): the new
  // leader's read was woken by the same store, so these rows are its to publish, not ours too.
  if (opts.isLeader && !opts.isLeader()) return { published: 0, refused: 0 };
  const { publish, refused } = screenOutboxRows(rows, malformed, opts.topicOf);
  if (refused.length > 0) {
    log('error', 'outbox rows refused: not published', { refused: refused.length, rows: refused.slice(0, 20) });
    opts.onRefused?.(refused.length);
  }
  const topics = new Map(publish.map((p) => [p.row, p.topic]));
  const batches = outboxMessages(
    publish.map((p) => p.row),
    (row) => topics.get(row)!,
  );
  if (batches.length > 0) await opts.publish(batches);
  // Published: from here a crash only means publishing these rows again (at least once).
  const ids = [...publish.map((p) => p.row.id), ...refused.flatMap((r) => (r.id === undefined ? [] : [r.id]))];
  if (ids.length > 0) await call(opts, '/internal/outbox/ack', { method: 'POST', body: JSON.stringify({ ids }) });
  for (const b of batches) opts.onPublished?.(b.topic, b.messages.length);
  return { published: publish.length, refused: refused.length };
}

/**
 * Relays until the signal aborts. Long-polling (waitS > 0): the next read starts as soon as an
 * answer is handled, except that two empty passes start at least intervalMs apart. Polling: every
 * intervalMs, or at once after a full page. After a failure: backoff (never less than intervalMs).
 */
export async function runOutboxRelay(opts: OutboxRelayOptions): Promise<void> {
  const longPoll = (opts.waitS ?? 0) > 0;
  const now = opts.now ?? Date.now;
  let failures = 0;
  while (!opts.signal.aborted) {
    let delay = opts.intervalMs;
    if (opts.isLeader && !opts.isLeader()) {
      await sleep(delay, opts.signal);
      continue;
    }
    const started = now();
    try {
      const pass = await relayOnce(opts);
      failures = 0;
      if (pass.published > 0) log('info', 'outbox published', { events: pass.published });
      const handled = pass.published + pass.refused; // after replays, the next read waits intervalMs: never a busy loop
      if (longPoll) delay = handled > 0 ? 0 : opts.intervalMs - (now() - started);
      else if (handled >= OUTBOX_PAGE) delay = 0;
    } catch (err) {
      if (opts.signal.aborted) break;
      delay = Math.max(
        opts.intervalMs,
        backoffMs(failures++, { initialMs: opts.retryInitialMs, maxMs: opts.retryMaxMs, jitter: 'full' }),
      );
      log('warn', 'outbox pass failed; retrying', { attempt: failures, delayMs: delay, ...errorFields(err) });
    }
    if (delay > 0) await sleep(delay, opts.signal);
  }
}
