/**
 * Poison isolation on real parts (broker, `wrangler dev`, the bridge process, the fault proxy):
 * a record a healthy Worker keeps failing goes to `<topic>.dlq` alone, with contract 4's
 * x-error, while its neighbours are stored once and other partitions never wait; a Worker that
 * fails everything (its /healthz still 200) gets nothing dead-lettered, only waited out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../protocol/ingest.ts';
import { committedOffsets, eventOf, storedIds, timesSeen } from '../support/fixture.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { deadLetters } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const event = (id: string) => JSON.stringify(eventOf('Port', id, { eventType: 'GateIn', title: `Gate ${id}` }));
/** The run's ids in D1, in the order they were stored. */
const stored = (prefix: string) => storedIds(pipe.worker, `${prefix}-`, 'seq');
const recordsOf = (body: string) => (JSON.parse(body) as { records: IngestRecord[] }).records;

describe('bridge > poison isolation', () => {
  it('(b) dead-letters exactly the record a healthy Worker keeps failing (contract 4), stores its neighbours once, and other partitions never wait for it', async () => {
    const topic = unique('it-isolate');
    const groupId = unique('it-group');
    await createTopics([topic], 3);
    const run = unique('iso');
    const poisonId = `${run}-p0-5-POISON`;
    const socket = await pipe.socket('Port');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'refuse-body', marker: poisonId, status: 500 };
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '10',
      RETRY_INITIAL_MS: '400',
      RETRY_MAX_MS: '2000',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);

    const p0 = Array.from({ length: 10 }, (_, i) => (i === 5 ? poisonId : `${run}-p0-${i}`));
    const values = new Map(p0.map((id) => [id, event(id)]));
    await produce(
      topic,
      p0.map((id) => ({ key: id, value: values.get(id)!, headers: { trace: `t-${id}` }, partition: 0 })),
    );
    await until('the poison refused', () => (proxy.counts.failed >= 1 ? true : undefined));

    // Partitions 1 and 2, produced while partition 0 is being retried, arrive.
    const others = Array.from({ length: 8 }, (_, i) => ({ id: `${run}-p${1 + (i % 2)}-${i}`, partition: 1 + (i % 2) }));
    await produce(
      topic,
      others.map(({ id, partition }) => ({ key: id, value: event(id), partition })),
    );
    await until(
      'partitions 1 and 2 on the socket',
      () => (others.every(({ id }) => timesSeen(socket, `${run}-`).get(id) === 1) ? true : undefined),
      20_000,
    );
    const othersStoredAt = Date.now();

    // Meanwhile, nothing is committed on partition 0 past the poison (offset 5) before it is in the DLQ.
    let letters = await deadLetters(topic);
    while (letters.length === 0) {
      const committed = (await committedOffsets(groupId, topic)).get(0)!;
      letters = await deadLetters(topic);
      if (letters.length === 0) expect(committed).toBeLessThanOrEqual(5);
      await sleep(100);
      if (Date.now() - othersStoredAt > 60_000) throw new Error('the poison was never isolated');
    }
    // The poison was still being refused after the other partitions were through: they did not wait for it.
    const refusals = proxy.requests.filter((r) => r.path === '/internal/ingest' && r.injected);
    expect(refusals.some((r) => r.at > othersStoredAt - 50)).toBe(true);

    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(letter).toMatchObject({ key: poisonId, value: values.get(poisonId) }); // the original record, untouched
    expect(letter!.headers).toMatchObject({
      trace: `t-${poisonId}`,
      'x-original-topic': topic,
      'x-original-partition': '0',
      'x-original-offset': '5',
    });
    const xError = letter!.headers['x-error']!;
    const m =
      /^isolated: the Worker failed this record (\d+) times while healthy, then once more given 30 s \(last: 500, request id (\S+)\)$/.exec(
        xError,
      );
    expect(m, xError).not.toBeNull();
    expect(Number(m![1])).toBe(3);
    // The request id names a request the proxy refused, holding the poison alone (contract 3): the
    // last attempt, given longer (its id ends in .c).
    const named = proxy.requests.find((r) => r.headers['x-request-id'] === m![2]);
    expect(named).toMatchObject({ injected: true, status: 500 });
    expect(recordsOf(named!.body).map((r) => r.offset)).toEqual(['5']);
    expect(m![2]).toMatch(new RegExp(`^${topic.replace(/[.-]/g, '\\$&')}\\.0\\.5\\.\\d+\\.c$`));

    // Before and after it on partition 0: stored once, in order; the poison is not in D1.
    const neighbours = p0.filter((id) => id !== poisonId);
    await until(
      "partition 0's other records in D1",
      () => (stored(`${run}-p0`).length === 9 ? true : undefined),
      30_000,
    );
    expect(stored(`${run}-p0`)).toEqual(neighbours);
    await until('partition 0 on the socket', () =>
      neighbours.every((id) => timesSeen(socket, `${run}-`).get(id) === 1) ? true : undefined,
    );
    expect([...timesSeen(socket, `${run}-`).values()].every((n) => n === 1)).toBe(true);
    expect(timesSeen(socket, `${run}-`).has(poisonId)).toBe(false);
    await until('committed to the end', async () => {
      const c = await committedOffsets(groupId, topic);
      return c.get(0) === 10 && c.get(1) === 4 && c.get(2) === 4 ? true : undefined;
    });

    expect(await bridge.metric('quaycast_bridge_isolated_total', { topic, partition: '0' })).toBe(1);
    expect(await bridge.metric('quaycast_bridge_dead_lettered_total', { topic })).toBe(1);
    const [line] = bridge.logLines('record isolated');
    expect(line).toMatchObject({
      level: 'warn',
      topic,
      partition: 0,
      offset: '5',
      attempts: 4,
      lastStatus: 500,
      requestId: m![2],
    });
    expect(bridge.logLines('record isolated')).toHaveLength(1);
  });

  it('(c) dead-letters nothing while the Worker fails every forward with 500 and its /healthz answers 200, then stores everything once', async () => {
    const topic = unique('it-failall');
    const groupId = unique('it-group');
    await createTopics([topic], 2);
    const run = unique('fa');
    const socket = await pipe.socket('Port');
    const proxy = await pipe.proxy();
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '8',
      RETRY_INITIAL_MS: '50',
      RETRY_MAX_MS: '200',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);
    const ids = Array.from({ length: 32 }, (_, i) => `${run}-${i}`);
    await produce(
      topic,
      ids.slice(0, 16).map((id, i) => ({ key: id, value: event(id), partition: i % 2 })),
    );
    await until('the first half stored', () => (stored(run).length === 16 ? true : undefined)); // successes before the outage

    proxy.mode = { kind: 'fail', status: 500 };
    await produce(
      topic,
      ids.slice(16).map((id, i) => ({ key: id, value: event(id), partition: i % 2 })),
    );
    // Long enough that a record alone failed far more often than ISOLATE_AFTER_ATTEMPTS (3).
    const aloneFailures = () => {
      const byHead = new Map<string, number>();
      for (const r of proxy.requests) {
        if (r.path !== '/internal/ingest' || !r.injected) continue;
        const recs = recordsOf(r.body);
        if (recs.length === 1)
          byHead.set(
            `${recs[0]!.partition}/${recs[0]!.offset}`,
            (byHead.get(`${recs[0]!.partition}/${recs[0]!.offset}`) ?? 0) + 1,
          );
      }
      return Math.max(0, ...byHead.values());
    };
    await until('a record failed alone 8 times', () => (aloneFailures() >= 8 ? true : undefined), 60_000);
    expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200); // the Worker itself looks healthy
    expect(await deadLetters(topic)).toHaveLength(0);
    expect(await bridge.metric('quaycast_bridge_isolated_total')).toBe(0);
    const committed = await committedOffsets(groupId, topic);
    expect([committed.get(0), committed.get(1)]).toEqual([8, 8]); // nothing of the second half committed

    proxy.mode = { kind: 'pass' };
    await until('everything in D1', () => (stored(run).length === 32 ? true : undefined), 30_000);
    await until('everything on the socket', () => (timesSeen(socket, `${run}-`).size === 32 ? true : undefined));
    await until('committed to the end', async () => {
      const c = await committedOffsets(groupId, topic);
      return c.get(0) === 16 && c.get(1) === 16 ? true : undefined;
    });
    expect([...timesSeen(socket, `${run}-`).values()].every((n) => n === 1)).toBe(true);
    expect(await deadLetters(topic)).toHaveLength(0);
    expect(bridge.logs.some((l) => l.includes('"msg":"record isolated"'))).toBe(false);
  });
});
