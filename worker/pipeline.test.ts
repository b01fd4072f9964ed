import { describe, expect, it } from 'vitest';
import type { BridgeStatus, PartitionStatus } from '../protocol/bridge-status.ts';
import type { StoredBridgeStatus } from './db/bridge-status.ts';
import { duration, pipelineState } from './pipeline.ts';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const STALL = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function partition(p: Partial<PartitionStatus> = {}): PartitionStatus {
  return { topic: 'port-events', partition: 0, committedOffset: '10', highWatermark: '10', lag: 0, ...p };
}

/** A bridge's stored report: `at` on the bridge's clock (`skewMs` ahead of ours), received `ageMs` ago. */
function bridge(
  opts: {
    id?: string;
    partitions?: PartitionStatus[];
    ageMs?: number;
    skewMs?: number;
    intervalMs?: number;
    state?: BridgeStatus['state'];
    startedAgoMs?: number;
    lagSinceAgoMs?: number | null;
  } = {},
): StoredBridgeStatus {
  const receivedAt = NOW - (opts.ageMs ?? 1000);
  const at = receivedAt + (opts.skewMs ?? 0);
  return {
    receivedAt,
    lagSince: opts.lagSinceAgoMs === undefined || opts.lagSinceAgoMs === null ? null : iso(at - opts.lagSinceAgoMs),
    report: {
      bridgeId: opts.id ?? 'bridge-a',
      at: iso(at),
      startedAt: iso(at - (opts.startedAgoMs ?? 600_000)),
      intervalMs: opts.intervalMs ?? 30_000,
      state: opts.state ?? 'consuming',
      partitions: opts.partitions ?? [partition()],
      deadLettered: 0,
    },
  };
}

const run = (bridges: StoredBridgeStatus[], lastStoredAt: number | null = NOW - 5_000) =>
  pipelineState({ bridges, lastStoredAt, now: NOW, stallMs: STALL });

describe('worker > pipelineState', () => {
  it('is unknown when no bridge ever reported, and says so', () => {
    const p = run([]);
    expect(p).toMatchObject({ state: 'unknown', lag: null, bridges: [] });
    expect(p.reasons[0]).toMatch(/No bridge has reported/);
  });

  it('is idle when every partition has lag 0 and none is stuck', () => {
    const p = run([bridge()]);
    expect(p.state).toBe('idle');
    expect(p.lag).toBe(0);
    expect(p.bridges).toEqual([
      expect.objectContaining({ bridgeId: 'bridge-a', gone: false, partitions: 1, stalledPartitions: 0, lag: 0 }),
    ]);
  });

  it('is flowing while records wait and things are being stored', () => {
    const p = run(
      [bridge({ partitions: [partition({ lag: 7 }), partition({ partition: 1, lag: 3 })], lagSinceAgoMs: 300_000 })],
      NOW - 2_000,
    );
    expect(p).toMatchObject({ state: 'flowing', lag: 10 });
  });

  it('is stalled when a partition has not moved for PIPELINE_STALL_MS, naming it and its last error', () => {
    const stuck = partition({
      partition: 2,
      lag: 4,
      stalledSince: iso(NOW - 1000 - 90_000),
      lastError: 'HTTP 500, request id port-events.2.41.16',
    });
    const p = run([bridge({ partitions: [partition(), stuck] })]);
    expect(p.state).toBe('stalled');
    expect(p.reasons[0]).toBe(
      'port-events/2 has not moved for 1 min 31 s (bridge bridge-a; last error: HTTP 500, request id port-events.2.41.16).',
    );
    expect(p.bridges[0]!.stalledPartitions).toBe(1);
  });

  it('is not stalled by a partition that has retried for less than the threshold', () => {
    const p = run([
      bridge({ partitions: [partition({ lag: 4, stalledSince: iso(NOW - 1000 - 30_000) })], lagSinceAgoMs: 30_000 }),
    ]);
    expect(p.state).toBe('flowing');
  });

  it('measures stalls on the bridge clock: a bridge an hour ahead does not look stuck for an hour', () => {
    const skew = 3_600_000;
    const p = run([
      bridge({
        skewMs: skew,
        partitions: [partition({ lag: 1, stalledSince: iso(NOW - 1000 + skew - 20_000) })],
        lagSinceAgoMs: 20_000,
      }),
    ]);
    expect(p.state).toBe('flowing');
  });

  it('is stalled when records have waited PIPELINE_STALL_MS and nothing was stored meanwhile', () => {
    const waiting = bridge({ partitions: [partition({ lag: 12 })], lagSinceAgoMs: 120_000 });
    const p = run([waiting], NOW - 300_000);
    expect(p.state).toBe('stalled');
    expect(p.reasons[0]).toBe('12 records wait in Kafka (for 2 min 1 s) and nothing was stored for 5 min.');
    expect(run([waiting], null).reasons[0]).toMatch(/nothing was stored yet/);
    // The same wait while events are being stored (another partition moves them) is flowing.
    expect(run([waiting], NOW - 3_000).state).toBe('flowing');
    // A fresh wait (the lag just appeared after a quiet spell) is not a stall yet.
    expect(run([bridge({ partitions: [partition({ lag: 12 })], lagSinceAgoMs: 5_000 })], NOW - 300_000).state).toBe(
      'flowing',
    );
  });

  it('is stalled when a bridge has been starting for PIPELINE_STALL_MS (waiting for Kafka or the Worker)', () => {
    const p = run([bridge({ state: 'starting', partitions: [], startedAgoMs: 180_000 })]);
    expect(p.state).toBe('stalled');
    expect(p.reasons[0]).toMatch(/bridge-a has been starting for 3 min/);
    expect(run([bridge({ state: 'starting', partitions: [], startedAgoMs: 10_000 })]).state).toBe('idle');
  });

  it('is unknown when the only bridge stopped reporting for 3 of its intervals, and says which one went quiet', () => {
    const p = run([bridge({ ageMs: 91_000 })]);
    expect(p.state).toBe('unknown');
    expect(p.lag).toBeNull();
    expect(p.reasons[0]).toBe('Bridge bridge-a last reported 1 min 31 s ago (it reports every 30 s): it is gone.');
    expect(p.bridges[0]!.gone).toBe(true);
    expect(run([bridge({ ageMs: 89_000 })]).state).toBe('idle');
  });

  it('judges by the live bridges when another one is gone (a restart), and mentions the gone one last', () => {
    const p = run([bridge({ id: 'old', ageMs: 600_000 }), bridge({ id: 'new' })]);
    expect(p.state).toBe('idle');
    expect(p.bridges.map((b) => [b.bridgeId, b.gone])).toEqual([
      ['new', false],
      ['old', true],
    ]);
    expect(p.reasons.at(-1)).toMatch(/Bridge old last reported 10 min ago/);
  });

  it('counts a partition two live bridges report (mid-rebalance) once, from the newer report', () => {
    const older = bridge({ id: 'a', ageMs: 20_000, partitions: [partition({ lag: 50 })] });
    const newer = bridge({
      id: 'b',
      ageMs: 1_000,
      partitions: [partition({ lag: 5 }), partition({ partition: 1, lag: 1 })],
    });
    expect(run([older, newer]).lag).toBe(6);
  });

  it('writes durations for people', () => {
    expect([
      duration(900),
      duration(45_000),
      duration(60_000),
      duration(185_000),
      duration(7_200_000),
      duration(7_860_000),
    ]).toEqual(['1 s', '45 s', '1 min', '3 min 5 s', '2 h', '2 h 11 min']);
  });
});
