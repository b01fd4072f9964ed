/**
 * Compatibility on real parts: record batches compressed with gzip, snappy, lz4 and zstd by an
 * independent producer (kcat, librdkafka), a legacy .NET payload and a tombstone, all consumed by
 * the bridge from four partitions at once and delivered to a room socket and D1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER, createTopics, kafka, unique } from '../support/kafka.ts';
import { kcatProduce } from '../support/kcat.ts';
import { usePipeline } from '../support/pipeline.ts';
import { until } from '../support/wait.ts';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 6;

const pipe = usePipeline();

/**
 * The running broker serving BROKER, from its command line: its server.properties and
 * classpath (it may have been started from another checkout of this repository).
 */
function brokerProcess(): { props: string; classpath: string } {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // the process ended while we looked
    }
    const at = cmdline.indexOf('kafka.Kafka');
    const file = at >= 0 ? cmdline[at + 1] : undefined;
    const classpath = cmdline[cmdline.indexOf('-cp') + 1];
    if (file && classpath && existsSync(file)) {
      const props = readFileSync(file, 'utf8');
      if (props.split('\n').some((l) => l.startsWith('listeners=') && l.includes(`//${BROKER}`)))
        return { props, classpath };
    }
  }
  throw new Error(`no running broker found for ${BROKER}`);
}

/** The codec of every record batch of a partition's first segment, as the broker stored it (DumpLogSegments). */
function storedCodecs(topic: string, partitions: number): Map<number, Set<string>> {
  const { props, classpath } = brokerProcess();
  const logDir = /^log\.dirs=(.*)$/m.exec(props)![1]!.trim();
  const files = Array.from({ length: partitions }, (_, p) =>
    path.join(logDir, `${topic}-${p}`, '00000000000000000000.log'),
  );
  for (const f of files) expect(existsSync(f), f).toBe(true);
  const out = execFileSync('java', ['-cp', classpath, 'kafka.tools.DumpLogSegments', '--files', files.join(',')], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const codecs = new Map<number, Set<string>>();
  let current = -1;
  for (const line of out.split('\n')) {
    const file = /^Dumping .*-(\d+)\/0+\.log$/.exec(line.trim());
    if (file) current = Number(file[1]);
    const codec = /compresscodec: (\w+)/.exec(line);
    if (codec && current >= 0) {
      if (!codecs.has(current)) codecs.set(current, new Set());
      codecs.get(current)!.add(codec[1]!.toLowerCase());
    }
  }
  return codecs;
}

describe('bridge > compatibility', () => {
  it('decodes gzip, snappy, lz4 and zstd batches from kcat, keeps order per partition, accepts a legacy .NET payload and skips a tombstone', async () => {
    const topic = unique('it-codecs');
    await createTopics([topic], CODECS.length);
    const runId = unique('codec');
    const socket = await pipe.socket('Container');

    // The broker must store the producer's batches as they are, not recompress them.
    const admin = kafka().admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['compression.type'] }],
    });
    await admin.disconnect();
    expect(described.resources[0]!.configEntries[0]!.configValue).toBe('producer');

    const event = (codec: string, n: number) => ({
      id: `${runId}-${codec}-${n}`,
      eventType: 'GateIn',
      title: `Container gated in (${codec} #${n})`,
      containerId: `MSCU${codec}${n}`,
      eventTime: new Date().toISOString(),
      description: `padding so the batch is worth compressing ${'x'.repeat(200)}`,
    });
    await Promise.all(
      CODECS.map((codec, partition) =>
        kcatProduce({
          brokers: BROKER,
          topic,
          partition,
          codec,
          headers: { 'x-producer': `kcat-${codec}` },
          records: Array.from({ length: PER_CODEC }, (_, n) => ({
            key: `${runId}-${codec}-${n}`,
            value: JSON.stringify(event(codec, n)),
          })),
        }),
      ),
    );
    // A legacy .NET payload (PascalCase, numeric ids, no zone) and a tombstone on partition 0, after the gzip batch.
    const legacyId = 700_000_000 + Math.floor(Math.random() * 99_999_999);
    await kcatProduce({
      brokers: BROKER,
      topic,
      partition: 0,
      codec: 'gzip',
      records: [
        {
          key: String(legacyId),
          value: JSON.stringify({
            EventId: legacyId,
            EventType: 'ReeferAlarm',
            Title: 'Reefer alarm',
            ContainerId: 4_200_001,
            Priority: 'High',
            Status: 'In Progress',
            Timestamp: '2026-11-29T08:15:02.1234567',
            Source: null,
            Yard: 'B4',
          }),
        },
        { key: `${runId}-deleted`, value: null },
      ],
    });

    const codecs = storedCodecs(topic, CODECS.length);
    CODECS.forEach((codec, p) => expect([...(codecs.get(p) ?? [])], `partition ${p}`).toContain(codec));

    // A pass-through proxy records what the bridge sends: keys and headers travel as lineage.
    const proxy = await pipe.proxy();
    const bridge = pipe.bridge({
      WORKER_URL: proxy.url,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: unique('it-group'),
      BATCH_MAX_MESSAGES: '4',
      PARTITIONS_CONCURRENTLY: '4',
      OUTBOX_ENABLED: 'false',
    });
    const total = CODECS.length * PER_CODEC + 1;
    await socket.waitForEvents(total, 60_000).catch((err: Error) => {
      const [row] = pipe.worker.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE id LIKE ?', `${runId}-%`);
      throw new Error(`${err.message}; D1 holds ${row?.n}; bridge log:\n${bridge.logs.slice(-15).join('\n')}`);
    });

    const ids = socket.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(total);
    // Order within each partition is the produced order.
    for (const codec of CODECS) {
      const seen = ids.filter((id) => id.startsWith(`${runId}-${codec}-`));
      expect(seen).toEqual(Array.from({ length: PER_CODEC }, (_, n) => `${runId}-${codec}-${n}`));
    }
    const legacy = socket.events.find((e) => e.id === String(legacyId));
    expect(legacy).toMatchObject({
      category: 'Container',
      containerId: '4200001',
      severity: 'High',
      status: 'InProgress',
      eventTime: '2026-11-29T08:15:02.123Z',
      source: null,
      metadata: { extra: { Yard: 'B4' } },
    });

    const sent = proxy.bodies.flatMap(
      (b) =>
        (
          JSON.parse(b) as {
            records: { key: string | null; offset: string; partition: number; headers?: Record<string, string> }[];
          }
        ).records,
    );
    const snappyFirst = sent.find((r) => r.key === `${runId}-snappy-0`);
    expect(snappyFirst).toMatchObject({ partition: 1, offset: '0', headers: { 'x-producer': 'kcat-snappy' } });
    expect(sent.some((r) => r.key === `${runId}-deleted`)).toBe(false); // the tombstone is not forwarded

    const [row] = pipe.worker.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM events WHERE id LIKE ? OR id = ?',
      `${runId}-%`,
      String(legacyId),
    );
    expect(row!.n).toBe(total);

    // The tombstone was counted and its offset committed with the rest; nothing was dead-lettered.
    await until(
      'the tombstone counted',
      async () =>
        (await bridge.metric('quaycast_bridge_tombstones_total', { topic, partition: '0' })) >= 1 ? true : undefined,
      10_000,
      100,
    );
    expect(await bridge.metric('quaycast_bridge_tombstones_total', { topic, partition: '0' })).toBe(1);
    expect(await bridge.metric('quaycast_bridge_dead_lettered_total')).toBe(0);
    for (const p of CODECS.keys()) {
      expect(
        await bridge.metric('quaycast_bridge_forwarded_total', { topic, partition: String(p), result: 'stored' }),
      ).toBe(PER_CODEC + (p === 0 ? 1 : 0));
    }
    const text = await (await fetch(bridge.metricsUrl)).text();
    expect(text).toMatch(/quaycast_bridge_batch_latency_seconds_count [1-9]/);
    expect(text).toMatch(new RegExp(`quaycast_bridge_lag\\{partition="0",topic="${topic}"\\} 0`));
    const health = await bridge.health();
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true });

    await bridge.kill('SIGTERM');
    expect(bridge.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});
