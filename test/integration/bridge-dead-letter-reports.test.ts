/**
 * Dead letters on the page, on real parts: the bridge reports a poison record it wrote to
 * `<topic>.dlq` to the Worker (its own consumer group over the DLQ topic), once; an admin's
 * replay with a fixed value is produced once and its event stored once.
 */
import { describe, expect, it } from 'vitest';
import { storedIds, tokenFor } from '../support/fixture.ts';
import { createTopics, produce, unique } from '../support/kafka.ts';
import { kcatRead } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const pipe = usePipeline();

describe('bridge > dead-letter reports', () => {
  it('reports a poison record to the Worker with its DLQ coordinates, origin, reason and value preview', async () => {
    const topic = unique('it-dlreport');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('dlr');
    await produce(topic, [
      { key: `${run}-a`, value: '{"eventType": "GateIn", "title": "cut off', headers: { trace: 't-a' }, partition: 0 },
    ]);
    const bridge = pipe.bridge({
      WORKER_URL: pipe.worker.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      OUTBOX_ENABLED: 'false',
    });
    const rows = await until('the dead letter reported', () => {
      const r = pipe.worker.query<Record<string, unknown>>('SELECT * FROM dead_letters WHERE topic = ?', topic);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      dlq_topic: `${topic}.dlq`,
      dlq_partition: 0,
      dlq_offset: '0',
      partition: 0,
      offset: '0',
      key: `${run}-a`,
      value: '{"eventType": "GateIn", "title": "cut off',
      value_truncated: 0,
      status: 'new',
    });
    expect(String(rows[0]!.reason)).toMatch(/not JSON/);
    expect(JSON.parse(String(rows[0]!.headers))).toEqual({ trace: 't-a' });
    await bridge.kill('SIGTERM');
  });
});

/** What GET /api/dead-letters/:id shows of a letter and its replays. */
type Shown = {
  status: string;
  replays: { id: string; status: string; producedPartition: number | null; producedOffset: string | null }[];
};

/** A bridge on `topic` with the outbox relay on (it carries out replays), and the letter it reported. */
async function bridgeWithReportedLetter(topic: string) {
  const bridge = pipe.bridge({
    WORKER_URL: pipe.worker.url,
    KAFKA_TOPICS: topic,
    KAFKA_GROUP_ID: unique('it-group'),
    OUTBOX_ENABLED: 'true',
    OUTBOX_WAIT_S: '20',
  });
  const [letter] = await until('the dead letter reported', () => {
    const r = pipe.worker.query<{ id: number; value_truncated: number }>(
      'SELECT id, value_truncated FROM dead_letters WHERE topic = ?',
      topic,
    );
    return r.length > 0 ? r : undefined;
  });
  return { bridge, letter: letter! };
}

/** The admin's replay of one letter (with `value` in place of its own, when given): the replay request's id. */
async function askReplay(letterId: number, value?: string): Promise<string> {
  const res = await fetch(`${pipe.worker.url}/api/dead-letters/replay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokenFor('admin')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ids: [letterId], ...(value === undefined ? {} : { value }) }),
  });
  expect(res.status).toBe(202);
  const { replays } = (await res.json()) as { replays: { id: string }[] };
  expect(replays).toHaveLength(1);
  return replays[0]!.id;
}

/** The letter as the page shows it once its first replay is settled (produced or failed). */
async function settled(letterId: number): Promise<Shown> {
  const admin = { authorization: `Bearer ${await tokenFor('admin')}` };
  return until('the replay settled', async () => {
    const one = (await (
      await fetch(`${pipe.worker.url}/api/dead-letters/${letterId}`, { headers: admin })
    ).json()) as Shown;
    const status = one.replays[0]?.status;
    return status === 'produced' || status === 'failed' ? one : undefined;
  });
}

describe('bridge > dead-letter replays from the page', () => {
  it('an admin fixes and replays a reported letter: woken by the outbox long-poll, produced once with the replay id, stored once, settled', async () => {
    const topic = unique('it-dlreplay');
    await createTopics([topic], 1);
    const run = unique('dlp');
    const id = `${run}-a`;
    await produce(topic, [{ key: id, value: JSON.stringify({ id, eventType: 'GateIn' }), partition: 0 }]);
    const { bridge, letter } = await bridgeWithReportedLetter(topic);
    const fixed = JSON.stringify({
      id,
      eventType: 'GateIn',
      title: 'Gate in, fixed',
      eventTime: new Date().toISOString(),
    });
    const asked = Date.now();
    const replayId = await askReplay(letter.id, fixed);
    await until('the fixed event stored', () => (storedIds(pipe.worker, id).length === 1 ? true : undefined));
    const shown = await settled(letter.id);
    // Woken by the bell through the held outbox read, not by a poll of its own.
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect(shown.status).toBe('replayed');
    expect(shown.replays[0]).toMatchObject({
      id: replayId,
      status: 'produced',
      producedPartition: 0,
      producedOffset: '1',
    });
    const copies = (await kcatRead(topic)).filter((r) => r.headers['x-quaycast-replay-id'] === replayId);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ key: id, value: fixed, offset: 1 });
    expect(storedIds(pipe.worker, id)).toEqual([id]);
    await bridge.kill('SIGTERM');
  });

  it('replays a letter longer than the kept preview unedited: the bridge reads its whole value from the DLQ record', async () => {
    const topic = unique('it-dlbig');
    await createTopics([topic], 1);
    const run = unique('dlb');
    const id = `${run}-a`;
    // 20 KB of eventData: refused by the Worker (over its bound), so dead-lettered with a preview of 8 KiB.
    const big = JSON.stringify({ id, eventType: 'GateIn', title: 'too big', eventData: { blob: 'x'.repeat(20_000) } });
    await produce(topic, [{ key: id, value: big, partition: 0 }]);
    const { bridge, letter } = await bridgeWithReportedLetter(topic);
    expect(letter.value_truncated).toBe(1);
    const replayId = await askReplay(letter.id);
    expect((await settled(letter.id)).replays[0]).toMatchObject({ id: replayId, status: 'produced' });
    const copies = (await kcatRead(topic)).filter((r) => r.headers['x-quaycast-replay-id'] === replayId);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ key: id, value: big, offset: 1 }); // the whole value, not the preview
    await bridge.kill('SIGTERM');
  });
});
