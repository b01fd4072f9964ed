import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeadLetterReporter, postUntilTaken, REPORT_CHUNK, reportChunks } from './dead-letter-reporter.ts';
import type { Kafka } from './kafka.ts';

const message = (offset: number, value: Buffer | null = Buffer.from(`v${offset}`)) => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value,
  timestamp: '1700000000000',
  headers: {
    'x-error': 'bad',
    'x-original-topic': 'port-events',
    'x-original-partition': '2',
    'x-original-offset': '9',
  },
});

describe('bridge > dead-letter reporter', () => {
  it('chunks a batch in offset order, at most REPORT_CHUNK a chunk, with the DLQ coordinates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 350 }), (n) => {
        const chunks = reportChunks(
          'port-events.dlq',
          1,
          Array.from({ length: n }, (_, i) => message(i)),
        );
        expect(chunks.every((c) => c.length > 0 && c.length <= REPORT_CHUNK)).toBe(true);
        expect(chunks.flat().map((r) => r.dlqOffset)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
        for (const r of chunks.flat()) expect(r).toMatchObject({ dlqTopic: 'port-events.dlq', dlqPartition: 1 });
      }),
    );
    const [[r]] = reportChunks('port-events.dlq', 0, [message(4, null)]) as [[ReturnType<typeof reportChunks>[0][0]]];
    expect(r).toMatchObject({
      topic: 'port-events',
      partition: 2,
      offset: '9',
      reason: 'bad',
      value: null,
      deadAt: 1700000000000,
    });
  });

  it('retries a failing post until it is taken, heartbeating between attempts', async () => {
    let calls = 0;
    let beats = 0;
    await postUntilTaken(
      async () => {
        if (++calls < 3) throw new Error('worker down');
      },
      [],
      { retryInitialMs: 1, retryMaxMs: 2, signal: new AbortController().signal },
      async () => {
        beats++;
      },
    );
    expect(calls).toBe(3);
    expect(beats).toBe(2);
  });

  it('gives up only when stopped, committing nothing', async () => {
    const abort = new AbortController();
    const p = postUntilTaken(
      async () => {
        abort.abort();
        throw new Error('worker down');
      },
      [],
      { retryInitialMs: 1, retryMaxMs: 2, signal: abort.signal },
    );
    await expect(p).rejects.toThrow('worker down');
  });
});

/** The few kafkajs calls the reporter makes, scripted: the orchestration is what is tested, not Kafka (integration tests have the real one). */
function fakeKafka(script: { listTopics: () => Promise<string[]> }) {
  const consumers: { topics: string[]; crash: (restart: boolean) => void; disconnected: boolean }[] = [];
  const kafka = {
    admin: () => ({ connect: async () => {}, disconnect: async () => {}, listTopics: script.listTopics }),
    consumer: () => {
      let onCrash: ((e: { payload: { restart: boolean } }) => void) | undefined;
      const entry = {
        topics: [] as string[],
        crash: (restart: boolean) => onCrash?.({ payload: { restart } }),
        disconnected: false,
      };
      return {
        events: { CRASH: 'consumer.crash' },
        on: (_event: string, f: typeof onCrash) => void (onCrash = f),
        connect: async () => {},
        subscribe: async ({ topics }: { topics: string[] }) => void (entry.topics = topics),
        run: async () => void consumers.push(entry),
        disconnect: async () => void (entry.disconnected = true),
      };
    },
  } as unknown as Kafka;
  return { kafka, consumers };
}

describe('bridge > dead-letter reporter, starting and following', () => {
  const options = (kafka: Kafka) => ({
    kafka,
    groupId: 'g',
    topics: ['port-events', 'container-events'],
    post: async () => {},
    retryInitialMs: 1,
    retryMaxMs: 2,
    signal: new AbortController().signal,
    topicCheckMs: 20,
  });
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await sleep(5);
    if (!ok()) throw new Error(`timed out: ${what}`);
  };

  it('tries again after a failed start (regression: it stayed down until the bridge restarted)', async () => {
    let calls = 0;
    const { kafka, consumers } = fakeKafka({
      listTopics: async () => {
        if (++calls === 1) throw new Error('broker away');
        return ['port-events', 'port-events.dlq'];
      },
    });
    const reporter = createDeadLetterReporter(options(kafka));
    await expect(reporter.run()).rejects.toThrow('broker away');
    await until('a consumer after the retry', () => consumers.length === 1);
    expect(consumers[0]!.topics).toEqual(['port-events.dlq']);
    await reporter.stop();
  });

  it('starts a new consumer when kafkajs gives one up, and follows a DLQ topic created later', async () => {
    let topics = ['port-events.dlq'];
    const { kafka, consumers } = fakeKafka({ listTopics: async () => topics });
    const reporter = createDeadLetterReporter(options(kafka));
    await reporter.run();
    expect(consumers.map((c) => c.topics)).toEqual([['port-events.dlq']]);
    consumers[0]!.crash(true); // kafkajs restarts this one itself
    await sleep(60);
    expect(consumers).toHaveLength(1);
    consumers[0]!.crash(false); // given up
    await until('a second consumer', () => consumers.length === 2);
    expect(consumers[0]!.disconnected).toBe(true);
    topics = ['port-events.dlq', 'container-events.dlq'];
    await until('a third consumer on both', () => consumers.length === 3);
    expect(consumers[2]!.topics).toEqual(['port-events.dlq', 'container-events.dlq']);
    await sleep(60);
    expect(consumers).toHaveLength(3); // nothing changes: no restart
    await reporter.stop();
  });
});
