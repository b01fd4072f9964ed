/**
 * Poison records on real parts: records the Worker can never store go to `<topic>.dlq` with the
 * original key, value and headers and the x-error / x-original-* headers, the partition moves on,
 * and the DLQ CLI lists them and replays one back to its topic.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { committedOffsets, storedIds } from '../support/fixture.ts';
import { BROKER, createTopics, produce, unique } from '../support/kafka.ts';
import { deadLetters, kcatRead, type KcatRecord } from '../support/kcat.ts';
import { ROOT } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const exec = promisify(execFile);
const pipe = usePipeline();

const valid = (id: string) =>
  JSON.stringify({
    id,
    eventType: 'BerthAssigned',
    title: `Berth for ${id}`,
    berthId: 'B7',
    eventTime: new Date().toISOString(),
  });

/** The group's committed offset of partition 0 (-1 when none). */
const committed = async (groupId: string, topic: string) => (await committedOffsets(groupId, topic)).get(0)!;

/** The DLQ CLI, replaying only to `topics` (KAFKA_TOPICS, as the bridge consumes). */
const dlqCli = async (topics: string, ...args: string[]) =>
  (
    await exec(process.execPath, [path.join(ROOT, 'bridge/src/dlq-cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: BROKER, KAFKA_TOPICS: topics },
      timeout: 60_000,
    })
  ).stdout;

describe('bridge > dead letters', () => {
  it('dead-letters invalid JSON and schema-invalid records with their headers, delivers the valid ones after them, and the CLI lists and replays', async () => {
    const topic = unique('it-poison');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('poison');
    await produce(topic, [
      { key: `${run}-a`, value: valid(`${run}-a`), headers: { trace: 't-a' }, partition: 0 },
      { key: `${run}-b`, value: '{"eventType": "GateIn", "title": "cut off', headers: { trace: 't-b' }, partition: 0 },
      {
        key: `${run}-c`,
        value: JSON.stringify({ id: `${run}-c`, eventType: 'GateIn', severity: 'Apocalyptic' }),
        headers: { trace: 't-c' },
        partition: 0,
      },
      { key: `${run}-d`, value: valid(`${run}-d`), partition: 0 },
      { key: `${run}-e`, value: valid(`${run}-e`), partition: 0 },
    ]);
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '2',
      OUTBOX_ENABLED: 'false',
    });

    await until('the valid records in D1', () => {
      const rows = pipe.worker.query<{ id: string }>('SELECT id FROM events WHERE id LIKE ? ORDER BY seq', `${run}-%`);
      return rows.length === 3 ? rows : undefined;
    });
    expect(storedIds(pipe.worker, `${run}-`, 'seq')).toEqual([`${run}-a`, `${run}-d`, `${run}-e`]);
    await until('the offset past the last record committed', async () =>
      (await committed(groupId, topic)) === 5 ? true : undefined,
    );

    const letters = await deadLetters(topic);
    expect(letters).toHaveLength(2);
    const byKey = new Map(letters.map((l) => [l.key, l]));
    const b = byKey.get(`${run}-b`)!;
    const c = byKey.get(`${run}-c`)!;
    expect(b.value).toBe('{"eventType": "GateIn", "title": "cut off');
    expect(b.headers).toMatchObject({
      trace: 't-b',
      'x-original-topic': topic,
      'x-original-partition': '0',
      'x-original-offset': '1',
    });
    expect(b.headers['x-error']).toMatch(/not JSON/);
    expect(c.value).toBe(JSON.stringify({ id: `${run}-c`, eventType: 'GateIn', severity: 'Apocalyptic' }));
    expect(c.headers).toMatchObject({
      trace: 't-c',
      'x-original-topic': topic,
      'x-original-partition': '0',
      'x-original-offset': '2',
    });
    expect(c.headers['x-error']).toMatch(/title/);
    expect(c.headers['x-error']).toMatch(/severity/);

    // The CLI lists both, oldest-first per partition, with where they came from.
    const listed = (await dlqCli(topic, 'list', topic, '--json'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; originalOffset: string; error: string; key: string });
    expect(listed.map((l) => l.key).sort()).toEqual([`${run}-b`, `${run}-c`]);
    expect(listed.find((l) => l.key === `${run}-c`)).toMatchObject({
      id: `${c.partition}:${c.offset}`,
      originalOffset: '2',
    });
    expect(await dlqCli(topic, 'list', `${topic}.dlq`, '--limit', '1')).toMatch(/2 dead letters, showing 1/);

    // Replaying c puts it back on the topic, marked; still invalid, it comes back to the DLQ marked as a replay.
    expect(await dlqCli(topic, 'replay', topic, '--offsets', `${c.partition}:${c.offset}`)).toMatch(/replayed 1/);
    const replayed = (await kcatRead(topic)).find((r) => r.offset === 5)!;
    expect(replayed).toMatchObject({
      key: `${run}-c`,
      value: c.value,
      headers: { trace: 't-c', 'x-quaycast-replay-of': `${topic}.dlq:${c.partition}:${c.offset}` },
    });
    expect(replayed.headers['x-error']).toBeUndefined();
    const again = await until('the replayed record dead-lettered again', async () => {
      const all = await deadLetters(topic);
      return all.length === 3 ? all.find((l: KcatRecord) => l.headers['x-original-offset'] === '5') : undefined;
    });
    expect(again.headers).toMatchObject({
      'x-quaycast-replay-of': `${topic}.dlq:${c.partition}:${c.offset}`,
      'x-original-topic': topic,
    });
    const metrics = await (await fetch(bridge.metricsUrl)).text();
    expect(metrics).toContain(`quaycast_bridge_dead_lettered_total{partition="0",topic="${topic}"} 3`);
    await bridge.kill('SIGTERM');
  });

  it('dead-letters a single record the Worker refuses with a 4xx and does not hold the partition', async () => {
    const topic = unique('it-poison4xx');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('p4xx');
    const proxy = await pipe.proxy();
    proxy.mode = { kind: 'refuse-body', marker: `${run}-refused`, status: 422 };
    await produce(
      topic,
      Array.from({ length: 6 }, (_, i) => {
        const id = i === 2 ? `${run}-refused` : `${run}-${i}`;
        return { key: id, value: valid(id), partition: 0 };
      }),
    );
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      BATCH_MAX_MESSAGES: '6',
      OUTBOX_ENABLED: 'false',
    });
    await until('the other five records in D1', () => {
      const [row] = pipe.worker.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE id LIKE ?', `${run}-%`);
      return row!.n === 5 ? true : undefined;
    });
    await until('the offset past the last record committed', async () =>
      (await committed(groupId, topic)) === 6 ? true : undefined,
    );
    const letters = await deadLetters(topic);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      key: `${run}-refused`,
      headers: { 'x-original-offset': '2', 'x-original-partition': '0' },
    });
    expect(letters[0]!.headers['x-error']).toMatch(/422/);
    expect(pipe.worker.query('SELECT id FROM events WHERE id = ?', `${run}-refused`)).toHaveLength(0);
    // The 6-record batch was refused whole, then split down to the one bad record.
    expect(proxy.counts.failed).toBeGreaterThanOrEqual(3);
    await bridge.kill('SIGTERM');
  });
});
