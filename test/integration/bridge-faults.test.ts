/**
 * At-least-once under faults, on real parts (broker, `wrangler dev`, the bridge process, a fault
 * proxy in between where a fault is injected). Each fault is caused for real, and each test checks
 * the effect that would show the bug: D1 holds exactly the run's ids, a socket saw each once in seq
 * order, the redelivery that a kill forces was observed, offsets never passed an unsettled record.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/free-port.ts';
import type { BridgeProcess } from '../support/bridge.ts';
import {
  committedOffsets,
  expectSeenOnceInOrder,
  flushRoom,
  produceEvents,
  runIds,
  storedIds,
  untilCommittedToEnd,
  untilStored,
} from '../support/fixture.ts';
import { createTopics, kafka, produce, unique } from '../support/kafka.ts';
import { deadLetters } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const joins = (b: BridgeProcess) => b.logLines('joined consumer group').length;
const healthz = async (b: BridgeProcess) => (await b.health()).status;

/**
 * Keeps a fault in place for at least `ms`, checking all along that it is being exercised (the
 * count of injected failures keeps growing): a fault that stopped biting would prove nothing.
 */
async function holdFault(ms: number, injected: () => number): Promise<void> {
  const until = Date.now() + ms;
  let last = injected();
  let lastGrowth = Date.now();
  while (Date.now() < until) {
    await sleep(250);
    const now = injected();
    if (now > last) [last, lastGrowth] = [now, Date.now()];
    expect(Date.now() - lastGrowth, 'the fault stopped being exercised').toBeLessThan(5000);
  }
}

describe('bridge > faults', () => {
  it('(a) retries through a Worker answering 500 for longer than the session timeout, keeping its partitions, and stores each event once', async () => {
    const topic = unique('it-fault500');
    const groupId = unique('it-group');
    await createTopics([topic]);
    const run = unique('f500');
    const ids = runIds(run, 0, 60);
    const socket = await pipe.socket('Ship');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'fail', status: 500 };
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '10',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);
    await produceEvents(topic, 'Ship', ids);
    await until('the first injected 500s', () => (proxy.counts.failed >= 3 ? true : undefined));
    // Longer than KAFKA_SESSION_TIMEOUT_MS (6 s): only heartbeats while retrying keep the group.
    await holdFault(8000, () => proxy.counts.failed);
    expect(storedIds(pipe.worker, run)).toEqual([]);
    proxy.mode = { kind: 'pass' };

    await untilStored(pipe.worker, `${run}-`, ids);
    await untilCommittedToEnd(groupId, topic);
    await flushRoom(pipe.worker, socket, 'Ship', run);
    expect(
      expectSeenOnceInOrder(socket, `${run}-`)
        .filter((id) => !id.includes('sentinel'))
        .sort(),
    ).toEqual([...ids].sort());
    expect(await bridge.metric('quaycast_bridge_retried_total')).toBeGreaterThanOrEqual(3);
    expect(await bridge.metric('quaycast_bridge_dead_lettered_total')).toBe(0);
    expect(await deadLetters(topic)).toEqual([]); // a Worker failing everything is an outage, not poison
    expect(joins(bridge)).toBe(1); // never lost the group
  });

  it('(b) waits out a stopped Worker and resumes when it is back, storing each event once', async () => {
    const topic = unique('it-faultstop');
    const groupId = unique('it-group');
    await createTopics([topic]);
    const run = unique('fstop');
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '10',
      OUTBOX_ENABLED: 'false',
    });
    await produceEvents(topic, 'Ship', runIds(run, 0, 30));
    await untilStored(pipe.worker, `${run}-`, runIds(run, 0, 30));
    // Stored is not yet answered: a Worker stopped between its D1 write and its answer leaves the last window uncommitted.
    await untilCommittedToEnd(groupId, topic);

    await pipe.worker.stop();
    const retriedBefore = await bridge.metric('quaycast_bridge_retried_total');
    await produceEvents(topic, 'Ship', runIds(run, 30, 30));
    // The outage is real: the bridge tried and failed more than once while the Worker was down.
    await until('two failed forwards while the Worker is down', async () =>
      (await bridge.metric('quaycast_bridge_retried_total')) >= retriedBefore + 2 ? true : undefined,
    );
    const during = await committedOffsets(groupId, topic);
    await pipe.worker.start();

    await untilStored(pipe.worker, `${run}-`, runIds(run, 0, 60));
    await untilCommittedToEnd(groupId, topic);
    // During the outage nothing of the second half was committed (it was not stored yet).
    const total = [...during.values()].reduce((n, o) => n + Math.max(0, o), 0);
    expect(total).toBe(30);
    expect(joins(bridge)).toBe(1);
    expect(await deadLetters(topic)).toEqual([]);
  });

  it('waits for the Worker at start-up with a clear log line, then consumes', async () => {
    const topic = unique('it-startup');
    await createTopics([topic]);
    const run = unique('fstart');
    await produceEvents(topic, 'Ship', runIds(run, 0, 10));
    await pipe.worker.stop();
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: unique('it-group'),
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(
      new RegExp(`"msg":"waiting for the Worker at ${pipe.worker.url.replace(/[.]/g, '\\.')}"`),
      20_000,
    );
    expect(await healthz(bridge)).toBe(503);
    expect(bridge.logs.some((l) => l.includes('"msg":"consuming"'))).toBe(false);
    await pipe.worker.start();
    await bridge.waitForLog(/"msg":"consuming"/, 30_000);
    await untilStored(pipe.worker, `${run}-`, runIds(run, 0, 10));
    expect(await healthz(bridge)).toBe(200);
  });

  it('waits for the broker at start-up with a clear log line, and stops cleanly on SIGTERM while waiting', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_BROKERS: nowhere,
      KAFKA_TOPICS: unique('it-nobroker'),
      KAFKA_GROUP_ID: unique('it-group'),
    });
    await bridge.waitForLog(new RegExp(`"msg":"waiting for Kafka at ${nowhere.replace(/[.]/g, '\\.')}"`), 15_000);
    await bridge.waitForLog(/"msg":"waiting for Kafka at .*"attempt":2/, 15_000); // it keeps trying
    expect(await healthz(bridge)).toBe(503);
    expect(await bridge.kill('SIGTERM')).toBe(0);
    expect(bridge.logs.some((l) => l.includes('"msg":"consuming"'))).toBe(false);
  });

  it('(c) after a SIGKILL between the Worker storing a batch and the bridge committing it, a restarted bridge redelivers it harmlessly', async () => {
    const topic = unique('it-faultkill');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('fkill');
    const ids = runIds(run, 0, 45);
    const socket = await pipe.socket('Ship');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'delay-response', ms: 60_000 }; // the Worker stores at once; the bridge never hears it
    const env = {
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '5',
      OUTBOX_ENABLED: 'false',
    };
    const first = pipe.bridge(env);
    await first.waitForLog(/"msg":"consuming"/);
    await produceEvents(topic, 'Ship', ids, 0);
    await until('a stored batch whose answer is held', () =>
      proxy.counts.held >= 1 && storedIds(pipe.worker, `${run}-`).length >= 5 ? true : undefined,
    );
    await first.kill('SIGKILL');
    const storedBeforeKill = storedIds(pipe.worker, `${run}-`);
    expect((await committedOffsets(groupId, topic)).get(0)).toBeLessThanOrEqual(0); // stored, never committed
    proxy.mode = { kind: 'pass' };

    const second = pipe.bridge(env);
    await untilStored(pipe.worker, `${run}-`, ids);
    await untilCommittedToEnd(groupId, topic);
    // The redelivery happened: every record stored before the kill came again and was a duplicate.
    expect(await second.metric('quaycast_bridge_forwarded_total', { result: 'duplicate' })).toBeGreaterThanOrEqual(
      storedBeforeKill.length,
    );
    const resent = proxy.bodies.filter((b) => storedBeforeKill.some((id) => b.includes(`"key":"${id}"`)));
    expect(
      resent.length,
      'bodies carrying the already-stored records (first send + redelivery)',
    ).toBeGreaterThanOrEqual(2);
    await flushRoom(pipe.worker, socket, 'Ship', run);
    expect(
      expectSeenOnceInOrder(socket, `${run}-`)
        .filter((id) => !id.includes('sentinel'))
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('stops on SIGTERM mid-batch without committing the unfinished batch; the next bridge delivers it', async () => {
    const topic = unique('it-sigterm');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('fterm');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'delay-response', ms: 60_000 }; // the answer never arrives before the stop
    const env = {
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '5',
      OUTBOX_ENABLED: 'false',
    };
    const first = pipe.bridge(env);
    await produceEvents(topic, 'Ship', runIds(run, 0, 10), 0);
    await until('a batch in flight', () => (proxy.counts.held >= 1 ? true : undefined));
    expect(await first.kill('SIGTERM')).toBe(0);
    expect(proxy.counts.forwarded, 'it stopped without waiting for the held answer').toBe(0);
    expect(first.logs.some((l) => l.includes('"msg":"batch abandoned without commit"'))).toBe(true);
    expect((await committedOffsets(groupId, topic)).get(0)).toBeLessThanOrEqual(0); // not the batch in flight

    proxy.mode = { kind: 'pass' };
    pipe.bridge(env); // the second bridge, stopped with the test by the pipeline
    await untilStored(pipe.worker, `${run}-`, runIds(run, 0, 10));
    await untilCommittedToEnd(groupId, topic);
  });

  it('(e) holds the offset before a poison record while its dead-letter write fails for real (the .dlq topic is gone), then dead-letters it and moves on', async () => {
    const topic = unique('it-dlqdown');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [`${topic}.dlq`], timeout: 10_000 });
      const run = unique('fdlq');
      const before = runIds(run, 0, 3);
      const after = runIds(run, 10, 3);
      await produceEvents(topic, 'Berth', before, 0);
      await produce(topic, [{ key: `${run}-poison`, value: '{"not": "an event"', partition: 0 }]);
      await produceEvents(topic, 'Berth', after, 0);
      const bridge = pipe.bridge({
        WORKER_URL: pipe.worker.url,
        KAFKA_TOPICS: topic,
        KAFKA_GROUP_ID: groupId,
        BATCH_MAX_MESSAGES: '20',
        OUTBOX_ENABLED: 'false',
      });
      // The dead-letter write is failing (kafkajs retries a missing topic for ~25 s before it gives up).
      await until(
        'a failed dead-letter write',
        () => (bridge.logs.some((l) => l.includes('dead-letter write failed')) ? true : undefined),
        90_000,
      );
      // Nothing was committed past the poison record (offset 3) while its dead letter is not written.
      expect((await committedOffsets(groupId, topic)).get(0)).toBeLessThanOrEqual(3);

      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 }],
      });
      await untilCommittedToEnd(groupId, topic, 60_000);
      const letters = await deadLetters(topic);
      expect(letters.map((l) => l.key)).toEqual([`${run}-poison`]);
      expect(letters[0]!.headers).toMatchObject({
        'x-original-topic': topic,
        'x-original-partition': '0',
        'x-original-offset': '3',
      });
      expect(storedIds(pipe.worker, `${run}-`)).toEqual([...before, ...after].sort());
    } finally {
      await admin.disconnect();
    }
  });
});
