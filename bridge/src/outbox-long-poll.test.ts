/**
 * The relay's long-poll loop (runOutboxRelay with waitS > 0) against a fake Worker that holds an
 * empty read the way the real one does: one request in flight, re-armed at once after rows,
 * empty answers spaced (an older Worker that ignores `wait`), backoff after errors, abort on shutdown.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { setLogStream } from './log.ts';
import { outboxTopicMapper, runOutboxRelay, type OutboxRelayOptions, type OutboxRow } from './outbox.ts';

const logged: { level: string; msg: string; [k: string]: unknown }[] = [];
setLogStream(new Writable({ write: (chunk, _encoding, done) => (logged.push(JSON.parse(String(chunk))), done()) }));

const row = (id: string): OutboxRow => ({
  id,
  topic: 'port-events',
  createdAt: 1,
  event: { id, category: 'Port', title: `t-${id}`, seq: 1, origin: { kind: 'api' } },
});

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/**
 * A Worker holding empty reads until `store` or the abort (its wait is never reached in a test):
 * pending rows leave on ack. `honoursWait: false` answers at once, as a Worker before the long-poll.
 */
function holdingWorker(opts: { honoursWait?: boolean; failFirst?: number } = {}) {
  const pending: OutboxRow[] = [];
  const reads: { at: number; search: string; aborted: () => boolean }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  let wake: (() => void) | undefined;
  let failures = opts.failFirst ?? 0;
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.pathname === '/internal/outbox/ack') {
      const { ids } = JSON.parse(String(init?.body)) as { ids: string[] };
      for (const id of ids)
        pending.splice(
          pending.findIndex((r) => r.id === id),
          1,
        );
      return Response.json({ acked: ids.length });
    }
    const signal = init!.signal!;
    reads.push({ at: Date.now(), search: url.search, aborted: () => signal.aborted });
    if (failures > 0) {
      failures--;
      return new Response('down', { status: 503 });
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (pending.length === 0 && opts.honoursWait !== false && url.searchParams.has('wait'))
        await new Promise<void>((resolve, reject) => {
          wake = resolve;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      answered++;
      return Response.json({ data: [...pending] });
    } finally {
      inFlight--;
    }
  }) as typeof globalThis.fetch;
  return {
    fetch,
    reads,
    maxInFlight: () => maxInFlight,
    answered: () => answered,
    store(r: OutboxRow) {
      pending.push(r);
      wake?.();
    },
  };
}

function relay(worker: ReturnType<typeof holdingWorker>, extra: Partial<OutboxRelayOptions> = {}) {
  const abort = new AbortController();
  const published: string[] = [];
  const done = runOutboxRelay({
    workerUrl: 'http://worker.test',
    ingestToken: 'tok',
    timeoutMs: 10_000,
    intervalMs: 60_000,
    waitS: 30,
    retryInitialMs: 20,
    retryMaxMs: 80,
    topicOf: outboxTopicMapper('container-events', 'port-events'),
    publish: async (batches) => void published.push(...batches.flatMap((b) => b.messages.map((m) => m.key))),
    signal: abort.signal,
    fetch: worker.fetch,
    ...extra,
  });
  return { abort, published, done };
}

describe('bridge > outbox long-poll loop', () => {
  it('holds one read at a time and re-arms it at once after an answer with rows', async () => {
    const worker = holdingWorker();
    const r = relay(worker);
    await until('the first read', () => worker.reads.length === 1);
    expect(worker.reads[0]!.search).toBe('?limit=200&wait=30');
    worker.store(row('a'));
    // intervalMs is a minute: a second read now means the loop did not pause after rows.
    await until('the re-armed read', () => worker.reads.length === 2);
    expect(r.published).toEqual(['a']);
    worker.store(row('b'));
    await until('the third read', () => worker.reads.length === 3);
    expect(r.published).toEqual(['a', 'b']);
    expect(worker.maxInFlight()).toBe(1);
    r.abort.abort();
    await r.done;
  });

  it('aborts the held read on shutdown and makes no further request', async () => {
    const worker = holdingWorker();
    const r = relay(worker);
    await until('the held read', () => worker.reads.length === 1);
    r.abort.abort();
    await r.done;
    expect(worker.reads[0]!.aborted()).toBe(true);
    await sleep(20);
    expect(worker.reads.length).toBe(1);
  });

  it('spaces empty answers by intervalMs when the Worker does not hold the read (an older Worker)', async () => {
    const worker = holdingWorker({ honoursWait: false });
    const r = relay(worker, { intervalMs: 40 });
    await until('four reads', () => worker.reads.length >= 4);
    r.abort.abort();
    await r.done;
    const gaps = worker.reads.slice(1).map((read, i) => read.at - worker.reads[i]!.at);
    // Timers never fire early; a busy loop would show gaps near 0.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(39);
  });

  it('backs off after failed reads, then long-polls again', async () => {
    const worker = holdingWorker({ failFirst: 3 });
    const from = logged.length;
    const r = relay(worker, { intervalMs: 10 });
    await until('the read after the failures', () => worker.reads.length === 4);
    const retries = logged.slice(from).filter((l) => l.msg === 'outbox pass failed; retrying');
    expect(retries.map((l) => l.attempt)).toEqual([1, 2, 3]);
    // Full jitter on 20 ms doubling to at most 80 ms, never below intervalMs.
    for (const l of retries) expect(l.delayMs).toBeGreaterThanOrEqual(10);
    for (const l of retries) expect(l.delayMs).toBeLessThanOrEqual(80);
    expect(worker.reads[3]!.search).toBe('?limit=200&wait=30');
    worker.store(row('after'));
    await until('the row published', () => r.published.length === 1);
    r.abort.abort();
    await r.done;
  });

  it('does not publish what a read held across a loss of leadership brings back (the new leader does)', async () => {
    const worker = holdingWorker();
    let leader = true;
    const r = relay(worker, { isLeader: () => leader, intervalMs: 10 });
    await until('the held read', () => worker.reads.length === 1);
    leader = false; // a rebalance gave partition 0 to another member while the read was held
    worker.store(row('theirs'));
    await until('the held read answered', () => worker.answered() === 1);
    await sleep(50); // a window in which a publish or a new read would show
    expect(r.published).toEqual([]);
    expect(worker.reads.length).toBe(1); // and no new read while it does not lead
    leader = true;
    await until('published once it leads again', () => r.published.length === 1);
    r.abort.abort();
    await r.done;
  });

  it('polls without wait when waitS is 0', async () => {
    const worker = holdingWorker();
    const r = relay(worker, { waitS: 0, intervalMs: 10 });
    await until('two reads', () => worker.reads.length >= 2);
    r.abort.abort();
    await r.done;
    expect(worker.reads[0]!.search).toBe('?limit=200');
  });
});
