/**
 * Liveness on real parts (broker, `wrangler dev`, the bridge process, the fault proxy): while a
 * partition's head keeps failing beyond STALL_THRESHOLD_MS, the bridge's /healthz answers 503
 * naming it and its gauges say so; the liveness report (contract 2) goes to the Worker at once
 * when the partition stalls and when it recovers, and the Worker's GET /api/stats says stalled
 * from it; afterwards /healthz is 200 again.
 */
import { describe, expect, it } from 'vitest';
import type { BridgeStatus } from '../../protocol/bridge-status.ts';
import { BridgeStatusSchema } from '../../protocol/schemas/bridge-status.ts';
import { roomUnavailable, type FaultProxy } from '../support/fault-proxy.ts';
import { eventOf, storedIds, tokenFor } from '../support/fixture.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

// The Worker calls a partition stalled after 1.5 s here (default 60 s), a little under the bridge's threshold below.
const pipe = usePipeline({ workerVars: { PIPELINE_STALL_MS: '1500' } });

type Pipeline = { state: string; reasons: string[] };
/** What the Worker tells operators: GET /api/stats's pipeline, as the dashboard reads it. */
const pipeline = async () =>
  (
    (await (
      await fetch(`${pipe.worker.url}/api/stats`, { headers: { authorization: `Bearer ${await tokenFor('viewer')}` } })
    ).json()) as { pipeline: Pipeline }
  ).pipeline;

const event = (id: string) =>
  JSON.stringify(eventOf('Ship', id, { eventType: 'ShipDeparted', title: `Departure ${id}` }));

/** The liveness reports the bridge sent, parsed with the shared schema (a report that does not parse fails the test). */
function reports(p: FaultProxy): BridgeStatus[] {
  return p.requests
    .filter((r) => r.method === 'POST' && r.path === '/internal/bridge/status')
    .map((r) => {
      expect(r.headers.authorization).toBe(`Bearer ${TEST_SECRETS.INGEST_TOKEN}`);
      return BridgeStatusSchema.parse(JSON.parse(r.body));
    });
}

describe('bridge > liveness', () => {
  it('(d) /healthz turns 503 naming a partition stuck beyond the threshold, reports it to the Worker at once, and is 200 again after recovery', async () => {
    const topic = unique('it-stall');
    const groupId = unique('it-group');
    await createTopics([topic], 2);
    const run = unique('st');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'refuse-body', marker: `"topic":"${topic}","partition":0,`, ...roomUnavailable(['Ship']) };
    // A long STATUS_INTERVAL_MS: the reports seen below can only be the first one and those sent at once on a change.
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      STALL_THRESHOLD_MS: '2000',
      STATUS_INTERVAL_MS: '600000',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);
    // From start-up ('starting'), and at once when it consumes.
    await until('the report of a consuming bridge', () =>
      reports(proxy).some((r) => r.state === 'consuming') ? true : undefined,
    );
    expect(reports(proxy).map((r) => r.state)).toEqual(['starting', 'consuming']);
    expect(reports(proxy)[1]).toMatchObject({ intervalMs: 600_000, deadLettered: 0 });
    expect((await bridge.health()).status).toBe(200);

    await produce(topic, [
      ...Array.from({ length: 3 }, (_, i) => ({ key: `${run}-0${i}`, value: event(`${run}-0${i}`), partition: 0 })),
      ...Array.from({ length: 2 }, (_, i) => ({ key: `${run}-1${i}`, value: event(`${run}-1${i}`), partition: 1 })),
    ]);
    await until('partition 1 stored', () => (storedIds(pipe.worker, `${run}-1`).length === 2 ? true : undefined));
    await until('partition 0 refused', () => (proxy.counts.failed >= 1 ? true : undefined));

    const stalled = await until(
      '/healthz 503',
      async () => {
        const h = await bridge.health();
        return h.status === 503 ? h.body : undefined;
      },
      20_000,
    );
    expect(stalled.ok).toBe(false);
    expect(stalled.reason).toContain(`${topic}/0 stalled for`);
    expect(stalled.reason).toContain('room_unavailable');
    expect(stalled.stalled!.map((s) => `${s.topic}/${s.partition}`)).toEqual([`${topic}/0`]);
    expect(await bridge.metric('quaycast_bridge_partition_stalled_seconds', { topic, partition: '0' })).toBeGreaterThan(
      2,
    );
    expect(await bridge.metric('quaycast_bridge_partition_stalled_seconds', { topic, partition: '1' })).toBe(0);

    // Reported at once (the interval is 10 minutes): partition 0 stalled with its error and lag from the broker.
    const stalledAt = await until('a report with partition 0 stalled', () => {
      const i = reports(proxy).findIndex((r) => r.partitions.some((p) => p.partition === 0 && p.stalledSince));
      return i >= 0 ? i : undefined;
    });
    const stalledReport = reports(proxy)[stalledAt]!;
    const p0 = stalledReport.partitions.find((p) => p.partition === 0)!;
    expect(p0).toMatchObject({ topic, committedOffset: null, highWatermark: '3', lag: 3 });
    expect(p0.lastError).toMatch(/worker answered 503 room_unavailable: .*\(request id .*\.0\.0\.\d+\)/);
    expect(stalledReport.partitions[0]!.partition).toBe(0); // stalled partitions first
    expect(stalledReport.partitions.find((p) => p.partition === 1)).toMatchObject({ committedOffset: '2', lag: 0 });
    expect(stalledReport.partitions.find((p) => p.partition === 1)!.stalledSince).toBeUndefined();
    expect(await bridge.metric('quaycast_bridge_lag', { topic, partition: '0' })).toBe(3);
    expect(await bridge.waitForLog(/"msg":"partition stalled"/, 5000)).toContain(topic);
    // ...and the Worker, from that report, tells the operator: GET /api/stats (the dashboard's pill) says stalled, naming it.
    const seen = await pipeline();
    expect(seen.state).toBe('stalled');
    expect(seen.reasons.join(' ')).toContain(`${topic}/0`);

    proxy.mode = { kind: 'pass' };
    await until('/healthz 200 again', async () => ((await bridge.health()).status === 200 ? true : undefined), 20_000);
    const recovered = await until('a report with partition 0 flowing', () =>
      reports(proxy)
        .slice(stalledAt + 1)
        .find((r) => r.partitions.some((p) => p.partition === 0 && !p.stalledSince)),
    );
    // (Its offsets are read as the recovery is noticed, possibly a moment before the commit lands: not asserted here.)
    expect(recovered.partitions.find((p) => p.partition === 0)!.lastError).toBeUndefined();
    expect(await bridge.metric('quaycast_bridge_partition_stalled_seconds', { topic, partition: '0' })).toBe(0);
    await until('partition 0 committed', async () =>
      (await bridge.metric('quaycast_bridge_committed_offset', { topic, partition: '0' })) === 3 ? true : undefined,
    );
    expect(storedIds(pipe.worker, `${run}-0`)).toHaveLength(3);
    expect(await bridge.waitForLog(/"msg":"partition recovered"/, 5000)).toContain(`${topic}/0`);
    // Four reports in all: starting, consuming, the stall, the recovery (none from the 10-minute interval).
    expect(reports(proxy)).toHaveLength(4);
    expect((await pipeline()).state).not.toBe('stalled');
  });
});
