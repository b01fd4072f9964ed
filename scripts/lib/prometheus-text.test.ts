import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMetrics, partitionLabels } from '../../bridge/src/metrics.ts';
import { parseSamples, sumSamples } from './prometheus-text.ts';

const TEXT = `# HELP quaycast_bridge_forwarded_total Records
# TYPE quaycast_bridge_forwarded_total counter
quaycast_bridge_forwarded_total{partition="0",result="stored",topic="a"} 3
quaycast_bridge_forwarded_total{topic="a",result="duplicate",partition="1"} 2
quaycast_bridge_forwarded_total{partition="0",result="stored",topic="b"} 5
quaycast_bridge_outbox_refused_total 1
quaycast_bridge_lag{partition="0",topic="we\\"ird\\\\ \\n"} 7 1700000000000
`;

describe('scripts/lib > prometheus text', () => {
  it('reads samples with their labels, whatever the label order, and a timestamp after the value', () => {
    expect(parseSamples(TEXT)).toEqual([
      { name: 'quaycast_bridge_forwarded_total', labels: { partition: '0', result: 'stored', topic: 'a' }, value: 3 },
      {
        name: 'quaycast_bridge_forwarded_total',
        labels: { partition: '1', result: 'duplicate', topic: 'a' },
        value: 2,
      },
      { name: 'quaycast_bridge_forwarded_total', labels: { partition: '0', result: 'stored', topic: 'b' }, value: 5 },
      { name: 'quaycast_bridge_outbox_refused_total', labels: {}, value: 1 },
      { name: 'quaycast_bridge_lag', labels: { partition: '0', topic: 'we"ird\\ \n' }, value: 7 },
    ]);
  });

  it('sums a metric over the series that carry every label asked for', () => {
    expect(sumSamples(TEXT, 'quaycast_bridge_forwarded_total')).toBe(10);
    expect(sumSamples(TEXT, 'quaycast_bridge_forwarded_total', { topic: 'a' })).toBe(5);
    expect(sumSamples(TEXT, 'quaycast_bridge_forwarded_total', { result: 'stored' })).toBe(8);
    expect(sumSamples(TEXT, 'quaycast_bridge_forwarded_total', { result: 'stored', topic: 'a', partition: '0' })).toBe(
      3,
    );
    expect(sumSamples(TEXT, 'quaycast_bridge_forwarded', {})).toBe(0); // a name is whole, never a prefix
    expect(sumSamples(TEXT, 'quaycast_bridge_retried_total')).toBe(0);
  });

  it('skips lines it cannot read rather than misreading them', () => {
    expect(parseSamples('x{a="1",broken} 3\ny{a="1"} 4\nnot a sample line at all\n')).toEqual([
      { name: 'y', labels: { a: '1' }, value: 4 },
    ]);
  });

  it('reads back what the bridge renders, for any topic name and counts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.nat({ max: 7 }), fc.integer({ min: 1, max: 1000 })), {
          maxLength: 12,
        }),
        async (incs) => {
          const m = createMetrics();
          const want = new Map<string, number>();
          for (const [topic, partition, n] of incs) {
            m.consumed.inc(partitionLabels(topic, partition), n);
            want.set(topic, (want.get(topic) ?? 0) + n);
          }
          const text = await m.render();
          for (const [topic, n] of want) expect(sumSamples(text, 'quaycast_bridge_consumed_total', { topic })).toBe(n);
          expect(sumSamples(text, 'quaycast_bridge_consumed_total')).toBe(
            [...want.values()].reduce((a, b) => a + b, 0),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
