/**
 * A partition that retries never stops the others, on real parts (broker, `wrangler dev`, the
 * bridge process, the fault proxy between them): while one topic's forwards fail or hang, the
 * other topic's events keep reaching D1 and a room socket; the failing topic's committed offset,
 * read back from Kafka during the fault, never passes a record that was not stored; afterwards
 * every event arrives once and nothing is dead-lettered.
 */
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../protocol/ingest.ts';
import { committedOffsets, eventOf, storedIds, timesSeen } from '../support/fixture.ts';
import { roomUnavailable } from '../support/fault-proxy.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { deadLetters } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();
const event = (id: string, room: 'Ship' | 'Berth' | 'Port') => JSON.stringify(eventOf(room, id));
const stored = (run: string) => storedIds(pipe.worker, `${run}-`);

const recordsOf = (body: string) => (JSON.parse(body) as { records: IngestRecord[] }).records;

describe('bridge > one partition retrying never stops the others', () => {
  it("(a) keeps topic B flowing to D1 and a socket while topic A gets 503 room_unavailable, never commits past A's failing record, then delivers A once", async () => {
    const [topicA, topicB] = [unique('it-flowa'), unique('it-flowb')];
    const groupId = unique('it-group');
    await createTopics([topicA, topicB], 2);
    const [runA, runB] = [unique('fa'), unique('fb')];
    const shipSocket = await pipe.socket('Ship');
    const berthSocket = await pipe.socket('Berth');
    const proxy = await pipe.proxy();
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: `${topicA},${topicB}`,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '5',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);

    // A's partition 0 stores a first run (so it has a committed offset); partition 1 stays without one (kafkajs #1599).
    await produce(
      topicA,
      Array.from({ length: 4 }, (_, i) => ({
        key: `${runA}-0${i}`,
        value: event(`${runA}-0${i}`, 'Ship'),
        partition: 0,
      })),
    );
    await until("A's first run in D1", () => (stored(runA).length === 4 ? true : undefined));
    await until('A/0 committed at 4', async () =>
      (await committedOffsets(groupId, topicA)).get(0) === 4 ? true : undefined,
    );

    proxy.mode = { kind: 'refuse-body', marker: `"topic":"${topicA}"`, ...roomUnavailable(['Ship']) };
    const idsA = [
      ...Array.from({ length: 6 }, (_, i) => ({ id: `${runA}-1${i}`, partition: 0 })),
      ...Array.from({ length: 6 }, (_, i) => ({ id: `${runA}-2${i}`, partition: 1 })),
    ];
    await produce(
      topicA,
      idsA.map(({ id, partition }) => ({ key: id, value: event(id, 'Ship'), partition })),
    );
    await until('A refused a few times', () => (proxy.counts.failed >= 4 ? true : undefined));

    // B, produced while A is failing, arrives: in D1 and on a subscribed socket.
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 4 }, (_, i) => `${runB}-${round}${i}`);
      const failedBefore = proxy.counts.failed;
      await produce(
        topicB,
        ids.map((id, i) => ({ key: id, value: event(id, 'Berth'), partition: i % 2 })),
      );
      await until(
        `B round ${round} on the socket`,
        () => (ids.every((id) => timesSeen(berthSocket, `${runB}-`).get(id) === 1) ? true : undefined),
        20_000,
      );
      expect(stored(runB)).toEqual(expect.arrayContaining(ids));
      // A is still being refused meanwhile (the fault is live, not over).
      await until('A refused again', () => (proxy.counts.failed > failedBefore ? true : undefined), 20_000);
      const committed = await committedOffsets(groupId, topicA);
      expect(committed.get(0)).toBe(4); // never past A/0's failing record (offset 4)
      expect(committed.get(1)).toBe(-1); // nothing of A/1 was stored: nothing committed
      expect(stored(runA)).toHaveLength(4);
    }

    proxy.mode = { kind: 'pass' };
    await until('all of A in D1', () => (stored(runA).length === 16 ? true : undefined), 30_000);
    await until('A on the socket', () => (timesSeen(shipSocket, `${runA}-`).size === 16 ? true : undefined));
    await until('A committed to the end', async () => {
      const c = await committedOffsets(groupId, topicA);
      return c.get(0) === 10 && c.get(1) === 6 ? true : undefined;
    });
    expect([...timesSeen(shipSocket, `${runA}-`).values()].every((n) => n === 1)).toBe(true);
    expect([...timesSeen(berthSocket, `${runB}-`).values()].every((n) => n === 1)).toBe(true);
    expect(await deadLetters(topicA)).toHaveLength(0);
    // Every forward carried a request id naming its first record (contract 3).
    for (const r of proxy.requests.filter((q) => q.path === '/internal/ingest')) {
      const first = recordsOf(r.body)[0]!;
      expect(r.headers['x-request-id']).toMatch(
        new RegExp(`^${first.topic.replace(/[.-]/g, '\\$&')}\\.${first.partition}\\.${first.offset}\\.\\d+$`),
      );
    }
  });

  it("keeps topic B flowing while topic A's answers take longer than FORWARD_WAIT_MS, and applies each kept answer without forwarding A again", async () => {
    const [topicA, topicB] = [unique('it-slowa'), unique('it-slowb')];
    const groupId = unique('it-group');
    await createTopics([topicA, topicB], 1);
    const [runA, runB] = [unique('sa'), unique('sb')];
    const berthSocket = await pipe.socket('Berth');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'delay-body', marker: `"topic":"${topicA}"`, ms: 4000 }; // stored at once, answered 4 s later
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: `${topicA},${topicB}`,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '3',
      FORWARD_WAIT_MS: '300',
      OUTBOX_ENABLED: 'false',
    });
    await bridge.waitForLog(/"msg":"consuming"/);
    await produce(
      topicA,
      Array.from({ length: 6 }, (_, i) => ({ key: `${runA}-${i}`, value: event(`${runA}-${i}`, 'Ship') })),
    );
    await until("A's first forward held", () => (proxy.counts.held >= 1 ? true : undefined));
    const firstA = proxy.requests.find((r) => r.path === '/internal/ingest' && r.body.includes(`"topic":"${topicA}"`))!;
    const idsB = Array.from({ length: 3 }, (_, i) => `${runB}-${i}`);
    await produce(
      topicB,
      idsB.map((id) => ({ key: id, value: event(id, 'Berth') })),
    );
    await until(
      'B on the socket',
      () => (idsB.every((id) => timesSeen(berthSocket, `${runB}-`).get(id) === 1) ? true : undefined),
      20_000,
    );
    // B arrived while A's first answer was still held by the proxy (the old bridge waited it out inside the fetch round).
    expect(firstA.status).toBeUndefined();

    await until('all of A in D1', () => (stored(runA).length === 6 ? true : undefined), 30_000);
    await until(
      'A committed to the end',
      async () => ((await committedOffsets(groupId, topicA)).get(0) === 6 ? true : undefined),
      30_000,
    );
    const forwardsA = proxy.requests.filter(
      (r) => r.path === '/internal/ingest' && r.body.includes(`"topic":"${topicA}"`),
    );
    // Two windows of 3, each forwarded once: the answers were kept for the refetched batches, not re-sent.
    expect(forwardsA.map((r) => recordsOf(r.body).map((x) => x.offset))).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
    ]);
    expect(forwardsA.map((r) => r.headers['x-request-id'])).toEqual([`${topicA}.0.0.1`, `${topicA}.0.3.1`]);
    expect(bridge.logs.some((l) => l.includes('"msg":"forward failed; retrying"'))).toBe(false);
  });

  it('lifts its pauses on a rebalance: a partition paused before it, back with the same bridge after, is consumed again', async () => {
    const topic = unique('it-rebalance');
    const groupId = unique('it-group');
    await createTopics([topic], 3);
    const run = unique('rb');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'refuse-body', marker: `"topic":"${topic}","partition":0,`, ...roomUnavailable(['Port']) };
    const env = {
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      OUTBOX_ENABLED: 'false',
      RETRY_INITIAL_MS: '200',
      RETRY_MAX_MS: '400',
    };
    const first = pipe.bridge(env);
    await first.waitForLog(/"msg":"consuming"/);
    const ids = Array.from({ length: 9 }, (_, i) => ({ id: `${run}-${i}`, partition: i % 3 }));
    await produce(
      topic,
      ids.map(({ id, partition }) => ({ key: id, value: event(id, 'Port'), partition })),
    );
    await until('partitions 1 and 2 stored', () => (stored(run).length === 6 ? true : undefined));
    await until('partition 0 refused (paused by the first bridge)', () =>
      proxy.counts.failed >= 2 ? true : undefined,
    );

    // A second member joins and leaves again: two rebalances; the first bridge ends with every partition.
    const joined = () => first.logs.filter((l) => l.includes('"msg":"joined consumer group"')).length;
    const second = pipe.bridge(env);
    await until('a rebalance', () => (joined() >= 2 ? true : undefined), 60_000);
    await second.waitForLog(/"msg":"joined consumer group"/);
    expect(await second.kill('SIGTERM')).toBe(0);
    await until(
      'the first bridge holds all three again',
      () => {
        const last = first.logs.filter((l) => l.includes('"msg":"joined consumer group"')).at(-1)!;
        return joined() >= 3 && /"assignment":\{[^}]*\[0,1,2\]/.test(last) ? true : undefined;
      },
      60_000,
    );

    proxy.mode = { kind: 'pass' };
    await until('partition 0 stored', () => (stored(run).length === 9 ? true : undefined), 30_000);
    await until(
      'committed to the end',
      async () => {
        const c = await committedOffsets(groupId, topic);
        return [0, 1, 2].every((p) => c.get(p) === 3) ? true : undefined;
      },
      30_000,
    );
    expect(await deadLetters(topic)).toHaveLength(0);
  });
});
