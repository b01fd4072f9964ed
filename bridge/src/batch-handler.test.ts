/**
 * The batch handler's I/O decisions with in-memory fakes of kafkajs' payload, the Worker and
 * Kafka: what is resolved, committed, paused, resumed and dead-lettered. (The real thing runs in
 * test/integration/bridge-flow, bridge-isolation and bridge-liveness.)
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { createBatchHandler } from './batch-handler.ts';
import { type BatchHandlerDeps, type BatchMessage, type BatchPayload, NOT_UTF8 } from './batch-steps.ts';
import type { DeadLetter } from './dlq.ts';
import { ForwardError } from './forwarder.ts';
import { setLogStream } from './log.ts';
import { createMetrics, seriesValue } from './metrics.ts';

// The bridge logs every retry and report; these tests read the effects, not the log lines.
setLogStream(new Writable({ write: (_chunk, _encoding, done) => done() }));

const msg = (offset: number, value: string | null = `{"n":${offset}}`): BatchMessage => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value: value === null ? null : Buffer.from(value),
  headers: { trace: `t${offset}` },
  timestamp: '0',
});
const msgs = (from: number, n: number) => Array.from({ length: n }, (_, i) => msg(from + i));
const stored = (r: IngestRecord): IngestResult => ({
  status: 'stored',
  id: `${r.topic}:${r.offset}`,
  seq: 1,
  category: 'Port',
});
const fail500 = () =>
  new ForwardError('worker answered 500 internal: boom', { retriable: true, status: 500, code: 'internal' });
const roomDown = () =>
  new ForwardError('worker answered 503 room_unavailable: Ship', {
    retriable: true,
    status: 503,
    code: 'room_unavailable',
    retryAfterMs: 1000,
  });

async function until(what: string, probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A fake consumer: per topic-partition resolved and committed offsets, pauses and resumes. */
function fakeConsumer() {
  const resolved = new Map<string, string>();
  const committed = new Map<string, string>();
  const paused = new Set<string>();
  const log: string[] = [];
  let generation = 0;
  return {
    resolved,
    committed,
    paused,
    log,
    /** Invalidates the payloads handed out so far (a rebalance: their pause handles act on nothing). */
    rebalance: () => generation++,
    payload(topic: string, partition: number, messages: BatchMessage[]): BatchPayload {
      const key = `${topic}/${partition}`;
      return {
        batch: { topic, partition, highWatermark: String(Number(messages.at(-1)?.offset ?? -1) + 1), messages },
        resolveOffset: (o) => void resolved.set(key, o),
        heartbeat: async () => undefined,
        pause: () => {
          paused.add(key);
          log.push(`pause ${key}`);
          return () => {
            paused.delete(key);
            log.push(`resume ${key}`);
          };
        },
        commitOffsetsIfNecessary: async () => {
          const o = resolved.get(key);
          if (o !== undefined) committed.set(key, o);
        },
        isRunning: () => true,
        isStale: () => false,
      };
    },
    get generation() {
      return generation;
    },
  };
}

function handler(over: Partial<BatchHandlerDeps> & { forward: BatchHandlerDeps['forward'] }) {
  const letters: DeadLetter[] = [];
  const metrics = createMetrics();
  let stopping = false;
  const h = createBatchHandler({
    settings: { maxWindow: 4, maxBytes: 10_000, isolateAfter: 3, retryInitialMs: 4, retryMaxMs: 10 },
    stepWaitMs: 30,
    metrics,
    toRecord: (topic, partition, m) => ({
      topic,
      partition,
      offset: m.offset,
      key: m.key?.toString() ?? null,
      value: m.value!.toString(),
    }),
    workerIsHealthy: async () => true,
    probeIngest: async () => false,
    confirmTimeoutMs: 5000,
    sendDeadLetters: async (l) => void letters.push(...l),
    stopping: () => stopping,
    ...over,
  });
  return { h, letters, metrics, stop: () => (stopping = true) };
}

describe('bridge > batch handler', () => {
  it('forwards windows from the head, resolves and commits each answered one, and counts what it consumed', async () => {
    const calls: string[][] = [];
    const { h, metrics } = handler({
      forward: async (records) => (calls.push(records.map((r) => r.offset)), records.map(stored)),
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('t', 0, [...msgs(0, 5), msg(5, null)]));
    expect(calls).toEqual([['0', '1', '2', '3'], ['4']]); // the tombstone at 5 is not forwarded
    expect(c.committed.get('t/0')).toBe('5');
    expect(c.paused.size).toBe(0);
    expect(await seriesValue(metrics.consumed, { partition: '0', topic: 't' })).toBe(6);
    expect(await seriesValue(metrics.tombstones, { partition: '0', topic: 't' })).toBe(1);
    expect(await seriesValue(metrics.committedOffset, { partition: '0', topic: 't' })).toBe(6);
    expect(await seriesValue(metrics.lag, { partition: '0', topic: 't' })).toBe(0);
  });

  it('dead-letters a value that is not valid UTF-8 itself, bytes untouched, and forwards the others of its window', async () => {
    const sent: string[][] = [];
    const { h, letters } = handler({
      forward: async (records) => (sent.push(records.map((r) => r.offset)), records.map(stored)),
    });
    const c = fakeConsumer();
    const bad = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    await h.eachBatch(c.payload('t', 0, [msg(0), { ...msg(1), value: bad }, msg(2)]));
    expect(sent).toEqual([['0', '2']]);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.message.value).toEqual(bad);
    expect(letters[0]!.message.headers).toMatchObject({
      'x-error': 'value is not valid UTF-8',
      'x-original-offset': '1',
    });
    expect(c.committed.get('t/0')).toBe('2');
  });

  it('sends a request id per forward (contract 3)', async () => {
    const ids: string[] = [];
    const { h } = handler({ forward: async (records, id) => (ids.push(id), records.map(stored)) });
    await h.eachBatch(fakeConsumer().payload('port-events', 2, msgs(40, 6)));
    expect(ids).toEqual(['port-events.2.40.1', 'port-events.2.44.1']);
  });

  it('on a failure pauses only that partition and returns at once, resuming it after the backoff; nothing is committed', async () => {
    let fail = true;
    const { h } = handler({
      forward: async (records) => {
        if (fail) throw roomDown();
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    const started = Date.now();
    await h.eachBatch(c.payload('a', 0, msgs(0, 3)));
    expect(Date.now() - started).toBeLessThan(500); // did not sleep the backoff (Retry-After 1 s capped at 10 ms) — and did not wait it inside
    expect(c.paused.has('a/0')).toBe(true);
    expect(c.committed.has('a/0')).toBe(false);
    await h.eachBatch(c.payload('b', 0, msgs(0, 2))); // another partition meanwhile: flows
    await until('a/0 resumed after its backoff', () => !c.paused.has('a/0'));
    fail = false;
    await h.eachBatch(c.payload('a', 0, msgs(0, 3))); // kafkajs refetches from the last resolved offset
    expect(c.committed.get('a/0')).toBe('2');
    expect(h.snapshot().find((s) => s.topic === 'a')).toMatchObject({ stalledSince: undefined });
  });

  it('keeps a slow answer for the refetched batch of the same head, without forwarding it again', async () => {
    let answer!: (r: IngestResult[]) => void;
    const calls: string[] = [];
    const { h } = handler({
      forward: (records) => {
        calls.push(records[0]!.offset);
        return new Promise((resolve) => (answer = () => resolve(records.map(stored))));
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('a', 0, msgs(0, 2)));
    expect(c.paused.has('a/0')).toBe(true); // returned after stepWaitMs, partition paused
    expect(c.committed.has('a/0')).toBe(false);
    answer([]);
    await until('resumed when the answer came', () => !c.paused.has('a/0'));
    await h.eachBatch(c.payload('a', 0, msgs(0, 3))); // refetched from 0, one more record by now
    expect(c.committed.get('a/0')).toBe('1'); // the kept answer covered 0-1 …
    expect(c.paused.has('a/0')).toBe(true); // … and offset 2 is in flight now
    expect(calls).toEqual(['0', '2']);
  });

  it('never applies a kept answer to a batch whose head is elsewhere', async () => {
    const pending: ((r: IngestResult[]) => void)[] = [];
    const calls: string[] = [];
    const { h } = handler({
      forward: (records) => {
        calls.push(records[0]!.offset);
        return new Promise((resolve) => pending.push(() => resolve(records.map(stored))));
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('a', 0, msgs(0, 2)));
    pending[0]!([]);
    await until('resumed', () => !c.paused.has('a/0'));
    await h.eachBatch(c.payload('a', 0, msgs(5, 2))); // records 0-4 are gone (retention): head at 5
    expect(c.committed.has('a/0')).toBe(false); // 0-1's answer was not committed as 5-6's
    expect(calls).toEqual(['0', '5']);
  });

  it('after a rebalance a late answer neither resumes nor commits, and the partition starts again from its committed offset', async () => {
    const pending: (() => void)[] = [];
    let calls = 0;
    const { h } = handler({
      forward: (records) => {
        calls++;
        return new Promise((resolve) => pending.push(() => resolve(records.map(stored))));
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('a', 0, msgs(0, 2)));
    expect(c.paused.has('a/0')).toBe(true);
    h.reset(); // GROUP_JOIN: a new generation
    expect(c.paused.has('a/0')).toBe(false); // its pause lifted (kafkajs keeps pauses across rebalances)
    const logBefore = c.log.length;
    pending[0]!();
    await sleep(20);
    expect(c.log.length).toBe(logBefore); // the late answer resumed nothing
    expect(c.committed.has('a/0')).toBe(false);
    await h.eachBatch(c.payload('a', 0, msgs(0, 2))); // still ours: forwarded again, not taken from the old generation
    expect(calls).toBe(2);
  });

  it('after a rebalance a backoff timer of the old generation does not resume', async () => {
    const { h } = handler({
      forward: async () => {
        throw roomDown();
      },
      settings: { maxWindow: 4, maxBytes: 10_000, isolateAfter: 3, retryInitialMs: 40, retryMaxMs: 40 },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('a', 0, msgs(0, 1)));
    h.reset();
    const logBefore = c.log.length;
    await sleep(80);
    expect(c.log.slice(logBefore)).toEqual([]);
  });

  it('dead-letters rejected records with their reason before committing past them', async () => {
    const { h, letters, metrics } = handler({
      forward: async (records) =>
        records.map((r) => (r.offset === '1' ? { status: 'rejected' as const, reason: 'title: Required' } : stored(r))),
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('t', 0, msgs(0, 3)));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      topic: 't.dlq',
      message: {
        key: Buffer.from('k1'),
        value: Buffer.from('{"n":1}'),
        headers: {
          trace: 't1',
          'x-error': 'title: Required',
          'x-original-topic': 't',
          'x-original-partition': '0',
          'x-original-offset': '1',
        },
      },
    });
    expect(c.committed.get('t/0')).toBe('2');
    expect(await seriesValue(metrics.deadLettered, { partition: '0', topic: 't' })).toBe(1);
  });

  it('does not commit when the dead letters cannot be written; the window is forwarded again later', async () => {
    let dlqUp = false;
    let forwards = 0;
    const { h } = handler({
      forward: async (records) => (forwards++, records.map(() => ({ status: 'rejected' as const, reason: 'bad' }))),
      sendDeadLetters: async () => {
        if (!dlqUp) throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('t', 0, msgs(0, 2)));
    expect(c.committed.has('t/0')).toBe(false);
    expect(c.paused.has('t/0')).toBe(true);
    expect(h.snapshot()[0]!.lastError).toContain('dead-letter write failed: UNKNOWN_TOPIC_OR_PARTITION');
    await until('resumed', () => !c.paused.has('t/0'));
    dlqUp = true;
    await h.eachBatch(c.payload('t', 0, msgs(0, 2)));
    expect(c.committed.get('t/0')).toBe('1');
    expect(forwards).toBe(2);
  });

  it('splits a batch the Worker refuses whole (4xx) at once, and dead-letters the record refused alone', async () => {
    const calls: string[][] = [];
    const { h, letters } = handler({
      forward: async (records) => {
        calls.push(records.map((r) => r.offset));
        if (records.some((r) => r.offset === '2'))
          throw new ForwardError('worker answered 422: no', { retriable: false, status: 422 });
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('t', 0, msgs(0, 4)));
    expect(calls).toEqual([['0', '1', '2', '3'], ['0', '1'], ['2', '3'], ['2'], ['3']]);
    expect(letters.map((l) => l.message.headers['x-original-offset'])).toEqual(['2']);
    expect(letters[0]!.message.headers['x-error']).toBe('worker answered 422: no');
    expect(c.committed.get('t/0')).toBe('3');
  });

  it("isolates a record a healthy Worker keeps failing while another partition flows, with contract 4's x-error", async () => {
    const { h, letters, metrics } = handler({
      forward: async (records) => {
        if (records.some((r) => r.topic === 'p' && r.offset === '1')) throw fail500();
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    // The other traffic (evidence the Worker is healthy) flows all along, also while p is paused.
    let n = 0;
    for (let i = 0; i < 30 && letters.length === 0; i++) {
      await h.eachBatch(
        c.payload('p', 0, msgs(Number(c.resolved.get('p/0') ?? -1) + 1, 3 - (Number(c.resolved.get('p/0') ?? -1) + 1))),
      );
      do {
        await h.eachBatch(c.payload('other', 0, msgs(n++, 1)));
        await sleep(5);
      } while (c.paused.has('p/0') && n < 10_000);
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]!.message.headers['x-original-offset']).toBe('1');
    expect(letters[0]!.message.headers['x-error']).toMatch(
      /^isolated: the Worker failed this record 3 times while healthy, then once more given 5 s \(last: 500, request id p\.0\.1\.\d+\.c\)$/,
    );
    await h.eachBatch(c.payload('p', 0, msgs(2, 1)));
    expect(c.committed.get('p/0')).toBe('2');
    expect(await seriesValue(metrics.isolated, { partition: '0', topic: 'p' })).toBe(1);
  });

  it('regression (soak in CI): a window of values that are not UTF-8, dead-lettered without a forward, is no evidence the Worker is healthy', async () => {
    // Every forward fails (a Worker-wide 503 burst); the other partition's records never reach the
    // Worker. Before the fix their local dead-lettering counted as a success and p's record was isolated.
    const { h, letters } = handler({
      forward: async () => {
        throw new ForwardError('worker answered 503 injected: burst', {
          retriable: true,
          status: 503,
          code: 'injected',
        });
      },
    });
    const notUtf8 = (offset: number): BatchMessage => ({ ...msg(offset), value: Buffer.from([0xc3, 0x28]) });
    const c = fakeConsumer();
    for (let i = 0; i < 12; i++) {
      await h.eachBatch(c.payload('p', 0, msgs(0, 1)));
      await h.eachBatch(c.payload('other', 0, [notUtf8(i)]));
      await until('p/0 resumed', () => !c.paused.has('p/0'));
    }
    expect(letters.map((l) => l.message.headers['x-original-topic'])).toEqual(Array(12).fill('other'));
    expect(letters.every((l) => l.message.headers['x-error'] === NOT_UTF8)).toBe(true);
    expect(c.committed.get('other/0')).toBe('11');
    expect(c.committed.has('p/0')).toBe(false);
  });

  it('isolates a poison record on a topic with one partition, on the evidence of its own probes of the ingest path', async () => {
    let probes = 0;
    const { h, letters } = handler({
      probeIngest: async () => (probes++, true),
      forward: async (records) => {
        if (records.some((r) => r.offset === '1')) throw fail500();
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    for (let i = 0; i < 40 && letters.length === 0; i++) {
      const from = Number(c.resolved.get('solo/0') ?? -1) + 1;
      await h.eachBatch(c.payload('solo', 0, msgs(from, 3 - from)));
      await until('solo/0 resumed', () => !c.paused.has('solo/0'));
    }
    expect(letters.map((l) => l.message.headers['x-original-offset'])).toEqual(['1']);
    expect(probes).toBeGreaterThanOrEqual(3);
    await h.eachBatch(c.payload('solo', 0, msgs(2, 1)));
    expect(c.committed.get('solo/0')).toBe('2');
  });

  it('isolates nothing on a topic with one partition while its probes fail too (the Worker fails every ingest)', async () => {
    let probes = 0;
    const { h, letters } = handler({
      probeIngest: async () => (probes++, false),
      forward: async () => {
        throw fail500();
      },
    });
    const c = fakeConsumer();
    for (let i = 0; i < 15; i++) {
      await h.eachBatch(c.payload('solo', 0, msgs(0, 2)));
      await until('solo/0 resumed', () => !c.paused.has('solo/0'));
    }
    expect(probes).toBeGreaterThan(3);
    expect(letters).toEqual([]);
    expect(c.committed.has('solo/0')).toBe(false);
  });

  /**
   * Drives p's head (offset 0, failing) and another partition's traffic until the last attempt
   * before an isolation was made once, applies its outcome, and checks that nothing was
   * dead-lettered or committed; returns p's last error.
   */
  async function untilLastAttemptDeferred(
    { h, letters }: Pick<ReturnType<typeof handler>, 'h' | 'letters'>,
    confirms: () => number,
  ): Promise<string | undefined> {
    const c = fakeConsumer();
    for (let i = 0; i < 30 && confirms() === 0; i++) {
      await h.eachBatch(c.payload('p', 0, msgs(0, 1)));
      await h.eachBatch(c.payload('other', 0, msgs(i, 1)));
      await until('p/0 resumed', () => !c.paused.has('p/0'));
    }
    expect(confirms()).toBe(1);
    await h.eachBatch(c.payload('p', 0, msgs(0, 1))); // applies the deferral
    expect(letters).toEqual([]);
    expect(c.committed.has('p/0')).toBe(false);
    return h.snapshot().find((s) => s.topic === 'p')!.lastError;
  }

  it('defers the isolation when nothing is answered after the last attempt failed (a burst began just before it)', async () => {
    let burst = false;
    let confirms = 0;
    const { h, letters } = handler({
      probeIngest: async () => !burst,
      forward: async (records, _requestId, timeoutMs) => {
        if (timeoutMs !== undefined) {
          confirms++;
          burst = true; // the Worker starts failing everything just as the last attempt goes out
          throw fail500();
        }
        if (burst || records.some((r) => r.topic === 'p' && r.offset === '0')) throw fail500();
        return records.map(stored);
      },
      confirmTimeoutMs: 300,
    });
    expect(await untilLastAttemptDeferred({ h, letters }, () => confirms)).toContain(
      'nothing was answered after the last attempt failed',
    );
  });

  it('isolates nothing when the last attempt, given longer, is answered (a slow Worker that had stored the record)', async () => {
    const timeouts: (number | undefined)[] = [];
    const { h, letters } = handler({
      forward: async (records, _requestId, timeoutMs) => {
        if (records.some((r) => r.topic === 'p' && r.offset === '1')) {
          timeouts.push(timeoutMs);
          // Times out at the usual timeout; answers (duplicate: it was stored) when given longer.
          if (timeoutMs === undefined)
            throw new ForwardError('worker did not answer in 10 ms', { retriable: true, timedOut: true });
          return records.map((r) => ({ status: 'duplicate' as const, id: `id-${r.offset}`, category: 'Ship' }));
        }
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    for (let i = 0; i < 30 && c.committed.get('p/0') !== '2'; i++) {
      const from = Number(c.resolved.get('p/0') ?? -1) + 1;
      await h.eachBatch(c.payload('p', 0, msgs(from, 3 - from)));
      await h.eachBatch(c.payload('other', 0, msgs(i, 1)));
      await until('p/0 resumed', () => !c.paused.has('p/0'));
    }
    expect(letters).toEqual([]);
    expect(c.committed.get('p/0')).toBe('2');
    expect(timeouts.at(-1)).toBe(5000); // the last attempt had the confirm timeout
    expect(timeouts.filter((t) => t === 5000)).toHaveLength(1);
  });

  it('defers the isolation when the last attempt fails with what does not count (the Worker went away)', async () => {
    let confirms = 0;
    const { h, letters } = handler({
      forward: async (records, _requestId, timeoutMs) => {
        if (records.some((r) => r.topic === 'p')) {
          if (timeoutMs !== undefined) {
            confirms++;
            throw new ForwardError('worker unreachable: ECONNREFUSED', { retriable: true });
          }
          throw fail500();
        }
        return records.map(stored);
      },
    });
    expect(await untilLastAttemptDeferred({ h, letters }, () => confirms)).toContain(
      'the last attempt before isolating failed',
    );
  });

  it("isolates nothing while the Worker's /healthz does not answer 200", async () => {
    const { h, letters } = handler({
      workerIsHealthy: async () => false,
      forward: async (records) => {
        if (records.some((r) => r.topic === 'p')) throw fail500();
        return records.map(stored);
      },
    });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('p', 0, msgs(0, 1)));
    for (let i = 0; i < 8; i++) {
      await h.eachBatch(c.payload('other', 0, msgs(i, 1)));
      await until('p/0 resumed', () => !c.paused.has('p/0'));
      await h.eachBatch(c.payload('p', 0, msgs(0, 1)));
    }
    expect(letters).toEqual([]);
    expect(c.committed.has('p/0')).toBe(false);
    expect(h.snapshot().find((s) => s.topic === 'p')!.lastError).toContain('/healthz did not answer 200');
  });

  it('abandons a forward aborted by shutdown without committing it', async () => {
    let reject!: (e: unknown) => void;
    const { h, stop } = handler({ forward: () => new Promise((_, r) => (reject = r)) });
    const c = fakeConsumer();
    await h.eachBatch(c.payload('t', 0, msgs(0, 2)));
    stop();
    reject(new ForwardError('forward aborted: the bridge is stopping', { retriable: true }));
    await sleep(10);
    expect(c.committed.has('t/0')).toBe(false);
    expect(c.paused.has('t/0')).toBe(true); // not resumed while stopping
  });

  it('treats an error that is not a ForwardError as a retriable failure, not a crash', async () => {
    const { h } = handler({
      forward: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    const c = fakeConsumer();
    await expect(h.eachBatch(c.payload('t', 0, msgs(0, 1)))).resolves.toBeUndefined();
    expect(c.paused.has('t/0')).toBe(true);
    expect(h.snapshot()[0]!.lastError).toContain('cannot read properties of undefined');
  });
});
