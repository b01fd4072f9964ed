/**
 * At-least-once under faults, on real parts (broker, `wrangler dev`, the bridge process, a fault
 * proxy in between where a fault is injected): each test ends with D1 holding every produced
 * event exactly once and the group's offsets at the end of the topic.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../protocol/jwt.ts';
import { startBridge, type BridgeProcess } from '../support/bridge.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { createTopics, kafka, produce, unique } from '../support/kafka.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { openRoom } from '../support/room-client.ts';
import { metricSum, until } from '../support/wait.ts';
import { freePort, startWorker, type WorkerHost } from '../support/worker.ts';

let worker: WorkerHost;
let proxy: FaultProxy | undefined;
const bridges: BridgeProcess[] = [];

beforeAll(async () => {
  worker = await startWorker();
});

afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.kill('SIGKILL')));
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  await worker?.stop();
});

const event = (id: string) => JSON.stringify({ id, eventType: 'ShipArrived', title: `Arrival ${id}`, shipId: `IMO${id.length}`, category: 'Ship', eventTime: new Date().toISOString() });

async function produceRun(topic: string, run: string, from: number, count: number): Promise<void> {
  await produce(topic, Array.from({ length: count }, (_, i) => ({ key: `${run}-${from + i}`, value: event(`${run}-${from + i}`) })));
}

/** D1's count of this run's events, and of distinct ids (equal by the primary key, asserted anyway). */
function stored(run: string): number {
  const [row] = worker.query<{ n: number; d: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM events WHERE id LIKE ?', `${run}-%`);
  expect(row!.d).toBe(row!.n);
  return row!.n;
}

async function allStored(run: string, count: number, timeoutMs = 60_000): Promise<void> {
  await until(`${count} events of ${run} in D1`, () => (stored(run) === count ? true : undefined), timeoutMs);
  await new Promise((r) => setTimeout(r, 500)); // a redelivery after this point would show as an extra row (it must not)
  expect(stored(run)).toBe(count);
}

/** Waits until the group has committed the end of every partition of the topic. */
async function committedToEnd(groupId: string, topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
    await until(`${groupId} committed to the end of ${topic}`, async () => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return t!.partitions.every((p) => p.offset === ends.get(p.partition)) ? true : undefined;
    }, 20_000);
  } finally {
    await admin.disconnect();
  }
}

const joins = (b: BridgeProcess) => b.logs.filter((l) => l.includes('"msg":"joined consumer group"')).length;

describe('bridge > faults', () => {
  it('(a) retries through a Worker answering 500 for longer than the session timeout, keeping its partitions, and stores each event once', async () => {
    const topic = unique('it-fault500');
    const groupId = unique('it-group');
    await createTopics([topic]);
    const run = unique('f500');
    const token = await signJwt({ sub: 'it-viewer', role: 'viewer' }, TEST_SECRETS.JWT_SECRET);
    const socket = await openRoom(worker.url, 'Ship', token);
    proxy = await startFaultProxy(worker.url);
    proxy.mode = { kind: 'fail', status: 500 };
    const bridge = startBridge({ WORKER_URL: proxy.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: groupId, BATCH_MAX_MESSAGES: '10', OUTBOX_ENABLED: 'false' });
    bridges.push(bridge);
    await bridge.waitForLog(/"msg":"consuming"/);
    await produceRun(topic, run, 0, 60);
    await until('the first injected 500s', () => (proxy!.counts.failed >= 3 ? true : undefined));
    // 8 s of 500s: longer than KAFKA_SESSION_TIMEOUT_MS (6 s), so only heartbeats while retrying keep the group.
    await new Promise((r) => setTimeout(r, 8000));
    expect(stored(run)).toBe(0);
    proxy.mode = { kind: 'pass' };

    await allStored(run, 60);
    await committedToEnd(groupId, topic);
    expect(await metricSum(bridge.metricsUrl, 'quaycast_bridge_retried_total')).toBeGreaterThanOrEqual(3);
    expect(await metricSum(bridge.metricsUrl, 'quaycast_bridge_dead_lettered_total')).toBe(0);
    expect(joins(bridge)).toBe(1); // never lost the group
    expect(bridge.logs.some((l) => l.includes('"msg":"forward failed; retrying"') && l.includes('"status":500'))).toBe(true);
    await socket.waitForEvents(60).catch((err: Error) => {
      throw new Error(`${err.message}; socket messages: ${socket.messages.map((m) => m.type).join(',')}; worker log:\n${worker.logs.filter((l) => !l.includes('"request"')).slice(-30).join('\n')}`);
    });
    const ids = socket.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(60);
    socket.close();
  });

  it('(b) waits out a stopped Worker and resumes when it is back, storing each event once', async () => {
    const topic = unique('it-faultstop');
    const groupId = unique('it-group');
    await createTopics([topic]);
    const run = unique('fstop');
    const bridge = startBridge({ WORKER_URL: worker.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: groupId, BATCH_MAX_MESSAGES: '10', OUTBOX_ENABLED: 'false' });
    bridges.push(bridge);
    await produceRun(topic, run, 0, 30);
    await allStored(run, 30);

    await worker.stop();
    await produceRun(topic, run, 30, 30);
    await bridge.waitForLog(/"msg":"forward failed; retrying".*unreachable/, 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    await worker.start();

    await allStored(run, 60);
    await committedToEnd(groupId, topic);
    expect(await metricSum(bridge.metricsUrl, 'quaycast_bridge_retried_total')).toBeGreaterThanOrEqual(1);
    expect(joins(bridge)).toBe(1);
  });

  it('waits for the Worker at start-up with a clear log line, then consumes', async () => {
    const topic = unique('it-startup');
    await createTopics([topic]);
    const run = unique('fstart');
    await produceRun(topic, run, 0, 10);
    await worker.stop();
    const bridge = startBridge({ WORKER_URL: worker.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: unique('it-group'), OUTBOX_ENABLED: 'false' });
    bridges.push(bridge);
    await bridge.waitForLog(new RegExp(`"msg":"waiting for the Worker at ${worker.url.replace(/[.]/g, '\\.')}"`), 20_000);
    expect((await fetch(bridge.metricsUrl.replace('/metrics', '/healthz'))).status).toBe(503);
    expect(bridge.logs.some((l) => l.includes('"msg":"consuming"'))).toBe(false);
    await worker.start();
    await bridge.waitForLog(/"msg":"consuming"/, 30_000);
    await allStored(run, 10);
    expect((await fetch(bridge.metricsUrl.replace('/metrics', '/healthz'))).status).toBe(200);
  });

  it('waits for the broker at start-up with a clear log line, and stops cleanly on SIGTERM while waiting', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const bridge = startBridge({ WORKER_URL: worker.url, KAFKA_BROKERS: nowhere, KAFKA_TOPICS: unique('it-nobroker'), KAFKA_GROUP_ID: unique('it-group') });
    bridges.push(bridge);
    await bridge.waitForLog(new RegExp(`"msg":"waiting for Kafka at ${nowhere.replace(/[.]/g, '\\.')}"`), 15_000);
    await bridge.waitForLog(/"msg":"waiting for Kafka at .*"attempt":2/, 15_000); // it keeps trying
    expect((await fetch(bridge.metricsUrl.replace('/metrics', '/healthz'))).status).toBe(503);
    expect(await bridge.kill('SIGTERM')).toBe(0);
    expect(bridge.logs.some((l) => l.includes('"msg":"consuming"'))).toBe(false);
  });

  it('(c) after a SIGKILL between the Worker storing a batch and the bridge committing it, a restarted bridge redelivers it harmlessly', async () => {
    const topic = unique('it-faultkill');
    const groupId = unique('it-group');
    await createTopics([topic]);
    const run = unique('fkill');
    const token = await signJwt({ sub: 'it-viewer', role: 'viewer' }, TEST_SECRETS.JWT_SECRET);
    const socket = await openRoom(worker.url, 'Ship', token);
    proxy = await startFaultProxy(worker.url);
    proxy.mode = { kind: 'delay-response', ms: 2000 }; // the Worker stores at once; the bridge hears 2 s later
    const env = { WORKER_URL: proxy.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: groupId, BATCH_MAX_MESSAGES: '5', OUTBOX_ENABLED: 'false' };
    const first = startBridge(env);
    bridges.push(first);
    await first.waitForLog(/"msg":"consuming"/);
    await produceRun(topic, run, 0, 45);
    await until('a stored batch whose answer is held', () => (proxy!.counts.held >= 1 && stored(run) >= 5 ? true : undefined));
    await first.kill('SIGKILL');
    const storedBeforeKill = stored(run);
    expect(storedBeforeKill).toBeGreaterThanOrEqual(5);
    proxy.mode = { kind: 'pass' };

    const second = startBridge(env);
    bridges.push(second);
    await allStored(run, 45);
    await committedToEnd(groupId, topic);
    // The batches stored but not committed came again and were recognised as duplicates.
    expect(await metricSum(second.metricsUrl, 'quaycast_bridge_forwarded_total', 'result="duplicate"')).toBeGreaterThanOrEqual(5);
    await socket.waitForEvents(45).catch((err: Error) => {
      throw new Error(`${err.message}; socket messages: ${socket.messages.map((m) => m.type).join(',')}; worker log:\n${worker.logs.filter((l) => !l.includes('"request"')).slice(-30).join('\n')}`);
    });
    await new Promise((r) => setTimeout(r, 500));
    const ids = socket.events.map((e) => e.id);
    expect(ids.length).toBe(45);
    expect(new Set(ids).size).toBe(45);
    socket.close();
  });

  it('stops on SIGTERM mid-batch without committing the unfinished batch; the next bridge delivers it', async () => {
    const topic = unique('it-sigterm');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('fterm');
    proxy = await startFaultProxy(worker.url);
    proxy.mode = { kind: 'delay-response', ms: 30_000 }; // the answer never arrives before the stop
    const env = { WORKER_URL: proxy.url, KAFKA_TOPICS: topic, KAFKA_GROUP_ID: groupId, BATCH_MAX_MESSAGES: '5', OUTBOX_ENABLED: 'false' };
    const first = startBridge(env);
    bridges.push(first);
    await produceRun(topic, run, 0, 10);
    await until('a batch in flight', () => (proxy!.counts.held >= 1 ? true : undefined));
    const started = Date.now();
    expect(await first.kill('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(first.logs.some((l) => l.includes('"msg":"batch abandoned without commit"'))).toBe(true);
    const admin = kafka().admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(Number(offsets!.partitions[0]!.offset)).toBeLessThanOrEqual(0); // nothing (-1) or only what was answered before: not the batch in flight

    proxy.mode = { kind: 'pass' };
    const second = startBridge(env);
    bridges.push(second);
    await allStored(run, 10);
    await committedToEnd(groupId, topic);
  });
});
