import fc from 'fast-check';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_STATUS_PARTITIONS } from '../../protocol/bridge-status.ts';
import { BridgeStatusSchema } from '../../protocol/schemas/bridge-status.ts';
import type { PartitionSnapshot } from './batch-handler.ts';
import type { PartitionOffsets, TopicPartition } from './kafka.ts';
import { buildStatus, createLiveness, lagOf, stalledPartitions, stallReason, type LivenessDeps } from './liveness.ts';
import { setLogStream } from './log.ts';
import { createMetrics, seriesValue } from './metrics.ts';

// The bridge logs every retry and report; these tests read the effects, not the log lines.
setLogStream(new Writable({ write: (_chunk, _encoding, done) => done() }));

const T0 = Date.parse('2026-12-01T10:00:00Z');
const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const snap = (topic: string, partition: number, stalledSince?: number, lastError?: string): PartitionSnapshot => ({
  topic,
  partition,
  stalledSince,
  lastError,
});
const offs = (
  topic: string,
  partition: number,
  committed: string | null,
  high: string,
  low = '0',
): PartitionOffsets => ({ topic, partition, committed, high, low });

describe('bridge > liveness: stalls', () => {
  it('names the assigned partitions stalled longer than the threshold, longest first', () => {
    const assigned = [tp('a', 0), tp('a', 1), tp('b', 0)];
    const snapshots = [
      snap('a', 0, T0 - 61_000, '503 room_unavailable'),
      snap('a', 1, T0 - 59_000),
      snap('b', 0, T0 - 120_000),
      snap('c', 9, T0 - 999_000),
    ];
    expect(stalledPartitions(assigned, snapshots, T0, 60_000)).toEqual([
      { topic: 'b', partition: 0, stalledForMs: 120_000, lastError: undefined },
      { topic: 'a', partition: 0, stalledForMs: 61_000, lastError: '503 room_unavailable' },
    ]); // a/1 is under the threshold; c/9 is not ours (any more)
    expect(stallReason(stalledPartitions(assigned, snapshots, T0, 60_000))).toBe(
      'b/0 stalled for 120 s; a/0 stalled for 61 s (last: 503 room_unavailable)',
    );
  });

  it('computes lag as high minus committed, or minus the low watermark when nothing is committed, never negative', () => {
    expect(lagOf(offs('a', 0, '7', '10'))).toBe(3);
    expect(lagOf(offs('a', 0, null, '10', '4'))).toBe(6);
    expect(lagOf(offs('a', 0, '12', '10'))).toBe(0);
    expect(lagOf(undefined)).toBeNull();
  });

  it('caps lag at Number.MAX_SAFE_INTEGER (fast-check counterexample: high 9007199254740992, nothing committed)', () => {
    // Found by the report property below: a lag of 2^53 made the report fail the schema's integer bound.
    expect(lagOf(offs('-', 0, null, '9007199254740992'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(lagOf(offs('-', 0, '0', '9223372036854775807'))).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('bridge > liveness: the report (contract 2)', () => {
  const input = {
    bridgeId: 'quaycast-bridge@host/42',
    now: T0,
    startedAt: new Date(T0 - 3_600_000),
    intervalMs: 30_000,
    state: 'consuming' as const,
    deadLettered: 2,
  };

  it('carries every assigned partition with its offsets, stalled ones first with since and last error', () => {
    const status = buildStatus({
      ...input,
      assigned: [tp('a', 0), tp('a', 1), tp('a', 2)],
      snapshots: [
        snap('a', 1, T0 - 5000, 'worker answered 503 room_unavailable: Ship (request id a.1.7.3)'),
        snap('a', 0),
      ],
      offsets: [offs('a', 0, '10', '15'), offs('a', 1, '7', '9'), offs('a', 2, null, '0')],
    });
    expect(BridgeStatusSchema.parse(status)).toEqual(status);
    expect(status).toEqual({
      bridgeId: 'quaycast-bridge@host/42',
      at: '2026-12-01T10:00:00.000Z',
      startedAt: '2026-12-01T09:00:00.000Z',
      intervalMs: 30_000,
      state: 'consuming',
      deadLettered: 2,
      partitions: [
        {
          topic: 'a',
          partition: 1,
          committedOffset: '7',
          highWatermark: '9',
          lag: 2,
          stalledSince: '2026-12-01T09:59:55.000Z',
          lastError: 'worker answered 503 room_unavailable: Ship (request id a.1.7.3)',
        },
        { topic: 'a', partition: 0, committedOffset: '10', highWatermark: '15', lag: 5 },
        { topic: 'a', partition: 2, committedOffset: null, highWatermark: '0', lag: 0 },
      ],
    });
  });

  it('says null for offsets not read yet', () => {
    const status = buildStatus({ ...input, assigned: [tp('a', 0)], snapshots: [], offsets: [] });
    expect(status.partitions).toEqual([
      { topic: 'a', partition: 0, committedOffset: null, highWatermark: null, lag: null },
    ]);
  });

  it('always parses with the shared schema, for any partitions, offsets and errors (property)', () => {
    const offset = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            topic: fc.stringMatching(/^[\w.-]{1,249}$/),
            partition: fc.nat(1_000_000),
            committed: fc.option(offset),
            high: offset,
            low: offset,
            stalledFor: fc.option(fc.nat(10_000_000)),
            lastError: fc.option(fc.string({ maxLength: 2000 })),
          }),
          { maxLength: 600 },
        ),
        (rows) => {
          const status = buildStatus({
            ...input,
            assigned: rows.map((r) => tp(r.topic, r.partition)),
            snapshots: rows.map((r) =>
              snap(
                r.topic,
                r.partition,
                r.stalledFor === null ? undefined : T0 - r.stalledFor,
                r.lastError ?? undefined,
              ),
            ),
            offsets: rows.map((r) => offs(r.topic, r.partition, r.committed, r.high, r.low)),
          });
          expect(() => BridgeStatusSchema.parse(status)).not.toThrow();
          expect(status.partitions.length).toBe(Math.min(rows.length, MAX_STATUS_PARTITIONS));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('bridge > createLiveness', () => {
  function setup(over: Partial<LivenessDeps> = {}) {
    const posts: { url: string; init: RequestInit }[] = [];
    const answers: number[] = [];
    const metrics = createMetrics();
    let now = T0;
    let snapshots: PartitionSnapshot[] = [snap('a', 0), snap('a', 1)];
    let assigned = [tp('a', 0), tp('a', 1)];
    const liveness = createLiveness({
      workerUrl: 'http://worker.test',
      ingestToken: 'tok',
      stallThresholdMs: 1000,
      statusIntervalMs: 60_000,
      requestTimeoutMs: 1000,
      metrics,
      bridgeId: 'b1',
      startedAt: new Date(T0),
      state: () => 'consuming',
      assigned: () => assigned,
      partitions: () => snapshots,
      readOffsets: async () => [offs('a', 0, '3', '8'), offs('a', 1, null, '2')],
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        posts.push({ url: String(url), init: init ?? {} });
        return new Response(null, { status: answers.shift() ?? 204 });
      }) as typeof fetch,
      now: () => now,
      ...over,
    });
    return {
      liveness,
      metrics,
      posts,
      answers,
      set: (s: PartitionSnapshot[]) => (snapshots = s),
      assign: (a: TopicPartition[]) => (assigned = a),
      advance: (ms: number) => (now += ms),
    };
  }

  it('is healthy until a partition is stalled beyond the threshold, then names it', () => {
    const { liveness, set, advance } = setup();
    expect(liveness.health()).toEqual({ ok: true });
    set([snap('a', 0, T0, 'worker answered 500'), snap('a', 1)]);
    advance(900);
    expect(liveness.health().ok).toBe(true);
    advance(200);
    expect(liveness.health()).toMatchObject({
      ok: false,
      reason: 'a/0 stalled for 1 s (last: worker answered 500)',
      stalled: [{ topic: 'a', partition: 0, stalledForMs: 1100 }],
    });
  });

  it('posts the report to /internal/bridge/status with the service token', async () => {
    const { liveness, posts } = setup();
    await liveness.report();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('http://worker.test/internal/bridge/status');
    expect(posts[0]!.init).toMatchObject({
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
    });
    expect(BridgeStatusSchema.parse(JSON.parse(String(posts[0]!.init.body)))).toMatchObject({
      bridgeId: 'b1',
      state: 'consuming',
    });
  });

  it('ignores a 404 (an older Worker) and any failure, and keeps reporting', async () => {
    const { liveness, posts, answers } = setup();
    answers.push(404, 500);
    await expect(liveness.report()).resolves.toBeUndefined();
    await expect(liveness.report()).resolves.toBeUndefined();
    const failing = setup({
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(failing.liveness.report()).resolves.toBeUndefined();
    await liveness.report();
    expect(posts).toHaveLength(3);
  });

  it('reports when its state changes, at once when a partition stalls and when it recovers, and sets lag and stalled gauges for its partitions only', async () => {
    let state: 'starting' | 'consuming' = 'starting';
    const { liveness, metrics, posts, set, advance, assign } = setup({ state: () => state });
    const abort = new AbortController();
    const running = liveness.run(abort.signal);
    const bodies = () => posts.map((p) => BridgeStatusSchema.parse(JSON.parse(String(p.init.body))));
    await waitFor(() => posts.length === 1);
    expect(bodies()[0]!.state).toBe('starting');
    expect(await seriesValue(metrics.lag, { partition: '0', topic: 'a' })).toBe(0); // no offsets read before consuming
    state = 'consuming';
    await waitFor(() => posts.length === 2);
    expect(bodies()[1]!.state).toBe('consuming');
    expect(await seriesValue(metrics.lag, { partition: '0', topic: 'a' })).toBe(5);
    expect(await seriesValue(metrics.lag, { partition: '1', topic: 'a' })).toBe(2);
    set([snap('a', 0, T0, '503'), snap('a', 1)]);
    advance(1500);
    await waitFor(() => posts.length === 3);
    expect(bodies()[2]!.partitions[0]).toMatchObject({
      partition: 0,
      stalledSince: new Date(T0).toISOString(),
      lastError: '503',
    });
    expect(await metrics.render()).toContain('quaycast_bridge_partition_stalled_seconds{partition="0",topic="a"} 1.5');
    set([snap('a', 0), snap('a', 1)]);
    await waitFor(() => posts.length === 4);
    expect(bodies()[3]!.partitions.every((p) => p.stalledSince === undefined)).toBe(true);
    assign([tp('a', 1)]); // a rebalance took a/0
    expect(await metrics.render()).not.toMatch(/partition="0"/);
    await waitFor(() => posts.length === 5);
    expect(bodies()[4]!.partitions.map((p) => p.partition)).toEqual([1]);
    metrics.deadLettered.inc({ topic: 'a', partition: '1' });
    await waitFor(() => posts.length === 6);
    expect(bodies()[5]!.deadLettered).toBe(1);
    abort.abort();
    await running;
    expect(posts).toHaveLength(6); // nothing from the 60 s interval
  });

  it('at rest reports only at the interval', async () => {
    const { liveness, posts, advance } = setup({ statusIntervalMs: 30_000, stallThresholdMs: 400 });
    const abort = new AbortController();
    const running = liveness.run(abort.signal);
    await waitFor(() => posts.length === 1);
    // Several ticks (100 ms each) with nothing changed and the clock short of the interval: no report.
    await new Promise((r) => setTimeout(r, 350));
    expect(posts).toHaveLength(1);
    advance(30_000);
    await waitFor(() => posts.length === 2);
    abort.abort();
    await running;
  });
});

describe('bridge > createLiveness without the broker', () => {
  it('still reports, with the offsets it last had, when reading them fails or hangs', async () => {
    const posts: string[] = [];
    let read = 0;
    let state: 'starting' | 'consuming' = 'consuming';
    const liveness = createLiveness({
      workerUrl: 'http://worker.test',
      ingestToken: 'tok',
      stallThresholdMs: 1000,
      statusIntervalMs: 60_000,
      requestTimeoutMs: 1000,
      offsetsTimeoutMs: 20,
      metrics: createMetrics(),
      bridgeId: 'b1',
      startedAt: new Date(T0),
      state: () => state,
      assigned: () => [tp('a', 0)],
      partitions: () => [snap('a', 0)],
      readOffsets: () =>
        ++read === 1
          ? Promise.resolve([offs('a', 0, '1', '4')])
          : read === 2
            ? Promise.reject(new Error('broker down'))
            : new Promise<never>(() => undefined),
      fetch: (async (_url: string | URL | Request, init?: RequestInit) => (
        posts.push(String(init?.body)), new Response(null, { status: 204 })
      )) as typeof fetch,
    });
    const abort = new AbortController();
    const running = liveness.run(abort.signal);
    await waitFor(() => posts.length === 1); // consuming: read 1 answers
    const states = ['starting', 'consuming', 'starting', 'consuming'] as const; // read 2 fails, read 3 hangs
    for (const [i, next] of states.entries()) {
      state = next; // each change of state reports again, reading offsets first when consuming
      await waitFor(() => posts.length === i + 2);
    }
    abort.abort();
    await running;
    expect(read).toBe(3);
    const lags = posts.map((b) => BridgeStatusSchema.parse(JSON.parse(b)).partitions[0]!.lag);
    expect(lags).toEqual([3, 3, 3, 3, 3]); // the first read's offsets, kept through a failed and a hung read
  });
});

async function waitFor(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}
