import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupByTopic } from './topic-messages.ts';

describe('bridge > groupByTopic', () => {
  it('groups messages by topic, topics in first-seen order, messages in order within each', () => {
    const items = [
      { topic: 'b', n: 1 },
      { topic: 'a', n: 2 },
      { topic: 'b', n: 3 },
      { topic: 'a', n: 4 },
      { topic: 'c', n: 5 },
    ];
    expect(
      groupByTopic(
        items,
        (i) => i.topic,
        (i) => ({ key: String(i.n) }),
      ),
    ).toEqual([
      { topic: 'b', messages: [{ key: '1' }, { key: '3' }] },
      { topic: 'a', messages: [{ key: '2' }, { key: '4' }] },
      { topic: 'c', messages: [{ key: '5' }] },
    ]);
    expect(
      groupByTopic(
        [],
        (i: { topic: string }) => i.topic,
        (i) => i,
      ),
    ).toEqual([]);
  });

  it('keeps every message exactly once, in its order, under its own topic (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('t0', 't1', 't2', 'x.dlq'), fc.integer()), { maxLength: 60 }),
        (items) => {
          const groups = groupByTopic(
            items.map(([topic, v], i) => ({ topic, v, i })),
            (x) => x.topic,
            (x) => x,
          );
          expect(new Set(groups.map((g) => g.topic)).size).toBe(groups.length);
          expect(groups.flatMap((g) => g.messages).length).toBe(items.length);
          for (const g of groups) {
            expect(g.messages.every((m) => m.topic === g.topic)).toBe(true);
            expect(g.messages.map((m) => m.i)).toEqual([...g.messages.map((m) => m.i)].sort((a, b) => a - b));
          }
        },
      ),
    );
  });
});
