/**
 * No record and no room can stall anyone else's data (DESIGN.md, Kafka): on real parts (broker,
 * bridge process, Worker under `wrangler dev`, real sockets), with the faults caused for real —
 * a record nested 5,000 levels deep, and one room's D1 writes failing (a trigger in D1 that
 * aborts that category's inserts, installed and dropped from outside the Worker).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  committedOffsets,
  eventOf,
  expectSeenOnceInOrder,
  flushRoom,
  produceEvents,
  runIds,
  storedIds,
  tokenFor,
  untilCommittedToEnd,
  untilStored,
} from '../support/fixture.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { deadLetters } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();

/**
 * Samples the group's committed offsets while a test runs and checks, at every sample, that each
 * record below the committed offset is settled (its id in D1, or its key in the DLQ). A commit
 * past an unsettled record is the bug this catches; D1 and the DLQ only grow, so a later read
 * can never make a correct commit look wrong.
 */
function watchCommits(
  groupId: string,
  topic: string,
  records: { partition: number; offset: number; id: string; key: string }[],
) {
  const violations: string[] = [];
  let samples = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const committed = await committedOffsets(groupId, topic).catch(() => new Map<number, number>());
      const below = records.filter((r) => r.offset < (committed.get(r.partition) ?? -1));
      if (below.length > 0) {
        const stored = new Set(storedIds(pipe.worker, ''));
        const dead = new Set((await deadLetters(topic)).map((l) => l.key));
        for (const r of below)
          if (!stored.has(r.id) && !dead.has(r.key))
            violations.push(
              `${topic}/${r.partition} committed ${committed.get(r.partition)} past offset ${r.offset} (${r.key}), neither stored nor dead-lettered`,
            );
      }
      samples++;
      await sleep(100); // sampling pace
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { samples, violations };
    },
  };
}

describe('stream isolation > one record, one room', () => {
  it('a record nested 5,000 levels deep is dead-lettered with its headers; the valid record behind it on its partition and one on another topic reach their sockets; no commit passes an unsettled record', async () => {
    const portTopic = unique('it-iso-port');
    const containerTopic = unique('it-iso-cont');
    const groupId = unique('it-group');
    await createTopics([portTopic, containerTopic]);
    const run = unique('deep');
    const berthSocket = await pipe.socket('Berth');
    const containerSocket = await pipe.socket('Container');

    // About 10 KB: a valid event whose eventData holds an array nested 5,000 levels deep (the record).
    const deep = `{"id":"${run}-deep","eventType":"BerthAssigned","title":"deep","berthId":"EMX-01","eventData":{"a":${'['.repeat(5000)}1${']'.repeat(5000)}}}`;
    expect(deep.length).toBeGreaterThan(10_000);
    const behind = `${run}-behind`;
    const other = `${run}-other`;
    await produce(portTopic, [
      { key: `${run}-deep`, value: deep, partition: 1, headers: { trace: 'deep-1' } },
      { key: behind, value: JSON.stringify(eventOf('Berth', behind)), partition: 1 },
    ]);
    await produce(containerTopic, [{ key: other, value: JSON.stringify(eventOf('Container', other)), partition: 0 }]);
    const watch = watchCommits(groupId, portTopic, [
      { partition: 1, offset: 0, id: `${run}-deep`, key: `${run}-deep` },
      { partition: 1, offset: 1, id: behind, key: behind },
    ]);

    pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: `${portTopic},${containerTopic}`,
      KAFKA_GROUP_ID: groupId,
      OUTBOX_ENABLED: 'false',
    });
    await Promise.all([berthSocket.waitForId(behind), containerSocket.waitForId(other)]);

    const letters = await until('the deep record in the DLQ', async () => {
      const l = await deadLetters(portTopic);
      return l.length > 0 ? l : undefined;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.key).toBe(`${run}-deep`);
    expect(letters[0]!.value).toBe(deep); // untouched
    expect(letters[0]!.headers).toMatchObject({
      trace: 'deep-1',
      'x-original-topic': portTopic,
      'x-original-partition': '1',
      'x-original-offset': '0',
    });
    expect(letters[0]!.headers['x-error']).toMatch(/eventData/);
    expect(letters[0]!.headers['x-error']).toMatch(/deep|depth|nest/i);
    await untilCommittedToEnd(groupId, portTopic);
    await untilCommittedToEnd(groupId, containerTopic);
    const { samples, violations } = await watch.stop();
    expect(samples).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(storedIds(pipe.worker, run)).toEqual([behind, other].sort());
    expect(await deadLetters(containerTopic)).toEqual([]);
    // The same body through the API is a 400 naming the field, not a 500.
    const res = await fetch(`${pipe.worker.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor('producer')}`, 'content-type': 'application/json' },
      body: deep.replace(`${run}-deep`, `${run}-deep-api`),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/eventData/);
  });

  it("while one room's D1 writes fail, the other rooms' events keep arriving; the failing room's events arrive once it recovers, none dead-lettered", async () => {
    const shipTopic = unique('it-iso-ship');
    const containerTopic = unique('it-iso-cont2');
    const groupId = unique('it-group');
    await createTopics([shipTopic, containerTopic]);
    const run = unique('outage');
    const shipSocket = await pipe.socket('Ship');
    const containerSocket = await pipe.socket('Container');
    const trigger = `qc_fault_${run.replace(/\W/g, '_')}`;
    // A real storage failure for one room: every insert of a Ship event of this run aborts inside D1.
    pipe.worker.exec(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON events WHEN NEW.category = 'Ship' AND NEW.id LIKE '${run}-%' BEGIN SELECT RAISE(ABORT, 'injected: Ship storage down'); END`,
    );
    try {
      const bridge = pipe.bridge({
        WORKER_URL: pipe.worker.url,
        KAFKA_TOPICS: `${shipTopic},${containerTopic}`,
        KAFKA_GROUP_ID: groupId,
        OUTBOX_ENABLED: 'false',
        BATCH_MAX_MESSAGES: '20',
      });
      await bridge.waitForLog(/"msg":"consuming"/);
      const ships = runIds(`${run}-ship`, 0, 30);
      await produceEvents(shipTopic, 'Ship', ships);
      // The Ship partitions are failing now; Container events produced after that still flow, in several rounds.
      await until('the Ship partitions retrying', async () =>
        (await bridge.metric('quaycast_bridge_retried_total', { topic: shipTopic })) >= 2 ? true : undefined,
      );
      const containers: string[] = [];
      for (let round = 0; round < 3; round++) {
        const ids = runIds(`${run}-cont${round}`, 0, 20);
        await produceEvents(containerTopic, 'Container', ids);
        await containerSocket.waitForIds(ids);
        containers.push(...ids);
      }
      // ...while no Ship event got through and no Ship offset was committed past an unstored record.
      expect(storedIds(pipe.worker, `${run}-ship`)).toEqual([]);
      const during = await committedOffsets(groupId, shipTopic);
      expect([...during.values()].every((o) => o <= 0)).toBe(true);
      await untilCommittedToEnd(groupId, containerTopic);

      pipe.worker.exec(`DROP TRIGGER ${trigger}`);
      await untilStored(pipe.worker, `${run}-ship`, ships);
      await untilCommittedToEnd(groupId, shipTopic);
      await shipSocket.waitForIds(ships);
      await flushRoom(pipe.worker, shipSocket, 'Ship', run);
      await flushRoom(pipe.worker, containerSocket, 'Container', run);
      expect(expectSeenOnceInOrder(shipSocket, `${run}-ship`).sort()).toEqual([...ships].sort());
      expect(expectSeenOnceInOrder(containerSocket, `${run}-cont`).sort()).toEqual([...containers].sort());
      expect(await deadLetters(shipTopic)).toEqual([]);
      expect(await deadLetters(containerTopic)).toEqual([]);
    } finally {
      pipe.worker.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
  });
});
