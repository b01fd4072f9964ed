import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postUntilTaken, REPORT_CHUNK, reportChunks } from './dead-letter-reporter.ts';

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
