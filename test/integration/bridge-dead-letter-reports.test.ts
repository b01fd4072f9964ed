/**
 * Dead letters on the page, on real parts: the bridge reports a poison record it wrote to
 * `<topic>.dlq` to the Worker (its own consumer group over the DLQ topic), once.
 */
import { describe, expect, it } from 'vitest';
import { createTopics, produce, unique } from '../support/kafka.ts';
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
