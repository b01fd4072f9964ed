/**
 * The bridge trusts neither its configuration nor its records blindly, on real parts: a
 * WORKER_URL that would send the service token in clear to another host, or SASL credentials
 * over a plaintext connection without the explicit opt-in, stop the process at start with the
 * variable named; a record value that is not valid UTF-8 is dead-lettered by the bridge itself
 * (`x-error: value is not valid UTF-8`, bytes untouched), never shown to the Worker as
 * replacement characters, while its neighbours are stored.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../protocol/ingest.ts';
import { createProducer } from '../../bridge/src/kafka.ts';
import { scanTopic, type TopicRecord, topicRanges } from '../../bridge/src/kafka-scan.ts';
import { storedIds } from '../support/fixture.ts';
import { BROKER, createTopics, kafka, unique } from '../support/kafka.ts';
import { ROOT } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const exec = promisify(execFile);
const pipe = usePipeline();

/** Starts the bridge with `env` and waits for it to exit by itself (a configuration error). */
async function exitOf(env: Record<string, string>): Promise<{ code: number | null; logs: string[] }> {
  const bridge = pipe.bridge({ KAFKA_TOPICS: unique('it-trust-cfg'), OUTBOX_ENABLED: 'false', ...env });
  const code = await Promise.race([
    new Promise<number | null>((resolve) => bridge.child.once('exit', resolve)),
    new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000)),
  ]);
  expect(code, `the bridge kept running:\n${bridge.logs.join('\n')}`).not.toBe('running');
  return { code: code as number | null, logs: bridge.logs };
}

describe('bridge > refuses an unsafe configuration at start', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'plain http to a host that is not this machine',
      { WORKER_URL: 'http://quaycast.example.com' },
      /configuration error: WORKER_URL must use https unless it is a loopback address/,
    ],
    [
      'plain http to a private address',
      { WORKER_URL: 'http://10.0.0.7:8787' },
      /configuration error: WORKER_URL must use https/,
    ],
    [
      'credentials in the URL',
      { WORKER_URL: 'https://bridge:hunter2@quaycast.example.com' },
      /configuration error: WORKER_URL must not carry a user name or password/,
    ],
    [
      'SASL over plaintext without the opt-in',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' },
      /configuration error: KAFKA_SASL_MECHANISM is set without KAFKA_SSL=true/,
    ],
    ['a KAFKA_SSL typo', { KAFKA_SSL: 'yes' }, /configuration error: KAFKA_SSL must be true or false/],
  ])('exits 2 on %s, naming the variable (and never the secret)', async (_label, env, message) => {
    const { code, logs } = await exitOf(env);
    expect(code).toBe(2);
    expect(logs.join('\n')).toMatch(message);
    expect(logs.join('\n')).not.toContain('hunter2');
    expect(logs.some((l) => l.includes('"msg":"starting"'))).toBe(false);
  });

  it('accepts SASL over plaintext with KAFKA_ALLOW_PLAINTEXT_SASL=true (then only the broker can refuse it)', async () => {
    const bridge = pipe.bridge({
      KAFKA_TOPICS: unique('it-trust-cfg'),
      OUTBOX_ENABLED: 'false',
      WORKER_URL: pipe.worker.url,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_ALLOW_PLAINTEXT_SASL: 'true',
    });
    await bridge.waitForLog(/"msg":"starting"/, 30_000);
    expect(bridge.logs.join('\n')).not.toContain('configuration error');
  });

  it('the DLQ CLI refuses SASL over plaintext the same way', async () => {
    const err = await exec(process.execPath, [path.join(ROOT, 'bridge/src/dlq-cli.ts'), 'list', 'port-events'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKER,
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      },
      timeout: 30_000,
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/^dlq: KAFKA_SASL_MECHANISM is set without KAFKA_SSL=true/);
  });
});

/** Every record of a topic, with its bytes (kafkajs; kcat's JSON would not keep invalid UTF-8). */
async function readBytes(topic: string): Promise<TopicRecord[]> {
  const client = kafka();
  const ranges = await topicRanges(client, topic);
  const out: TopicRecord[] = [];
  await scanTopic(
    client,
    topic,
    ranges.map((r) => ({ partition: r.partition, from: r.low, last: (BigInt(r.high) - 1n).toString() })),
    (r) => void out.push(r),
  );
  return out.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
}

describe('bridge > a record value that is not UTF-8', () => {
  it('is dead-lettered by the bridge itself with its bytes untouched; the Worker never sees it; its neighbours are stored', async () => {
    const topic = unique('it-trust-utf8');
    const groupId = unique('it-group');
    await createTopics([topic], 1);
    const run = unique('u8');
    const valid = (id: string) =>
      Buffer.from(
        JSON.stringify({ id, eventType: 'GateIn', title: `Gate ${id} · Kühlcontainer 冷藏`, portId: 'NLRTM' }),
      );
    const inside = (bytes: number[]) =>
      Buffer.concat([
        Buffer.from(`{"id":"${run}-bad","eventType":"GateIn","title":"`),
        Buffer.from(bytes),
        Buffer.from('"}'),
      ]);
    const bad = {
      1: inside([0xc3, 0x28]), // a lead byte without its continuation
      3: inside([0xc0, 0xaf]), // an overlong '/'
      4: inside([0xed, 0xa0, 0x80]), // an encoded UTF-16 surrogate
      5: Buffer.from([0xff, 0xfe, 0x00, 0x7b]), // UTF-16 with a BOM
    } as Record<number, Buffer>;
    const values = [valid(`${run}-0`), bad[1]!, valid(`${run}-2`), bad[3]!, bad[4]!, bad[5]!, valid(`${run}-6`)];
    const producer = createProducer(kafka());
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value, i) => ({ key: `${run}-k${i}`, value, partition: 0, headers: { trace: `t-${i}` } })),
    });
    await producer.disconnect();

    const proxy = await pipe.proxy();
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      OUTBOX_ENABLED: 'false',
    });
    await until(
      'the valid records in D1',
      () => (storedIds(pipe.worker, `${run}-`).length === 3 ? true : undefined),
      30_000,
    );
    await until(
      'the four dead letters',
      async () => ((await bridge.metric('quaycast_bridge_dead_lettered_total')) === 4 ? true : undefined),
      30_000,
    );

    expect(storedIds(pipe.worker, `${run}-`, 'seq')).toEqual([`${run}-0`, `${run}-2`, `${run}-6`]);
    const letters = await readBytes(`${topic}.dlq`);
    expect(letters.map((l) => l.headers['x-original-offset'])).toEqual(['1', '3', '4', '5']);
    for (const l of letters) {
      const offset = Number(l.headers['x-original-offset']);
      expect(l.headers).toMatchObject({
        'x-error': 'value is not valid UTF-8',
        'x-original-topic': topic,
        'x-original-partition': '0',
        trace: `t-${offset}`,
      });
      expect(l.key?.toString()).toBe(`${run}-k${offset}`);
      expect(Buffer.compare(l.value!, bad[offset]!)).toBe(0); // the same bytes, not a decoded copy
    }
    // The Worker was sent only the three valid records, never a replacement-character copy of the others.
    const forwarded = proxy.requests
      .filter((r) => r.path === '/internal/ingest')
      .flatMap((r) => (JSON.parse(r.body) as { records: IngestRecord[] }).records);
    expect(new Set(forwarded.map((r) => r.offset))).toEqual(new Set(['0', '2', '6']));
    expect(forwarded.some((r) => r.value.includes('\ufffd'))).toBe(false);
    // And the partition moved past them all.
    const admin = kafka().admin();
    await admin.connect();
    await until(
      'offset 7 committed',
      async () =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '7' ? true : undefined,
      30_000,
    );
    await admin.disconnect();
  });
});
