import { describe, expect, it } from 'vitest';
import { splitBatches, type BatchBounds } from './batcher.ts';

type Rec = { id: number; size: number };
const recs = (...sizes: number[]): Rec[] => sizes.map((size, id) => ({ id, size }));
const sizeOf = (r: Rec) => r.size;
const ids = (batches: Rec[][]) => batches.map((b) => b.map((r) => r.id));

describe('bridge > splitBatches', () => {
  it.each<[string, number[], BatchBounds, number[][]]>([
    ['nothing for no records', [], { maxMessages: 10, maxBytes: 100 }, []],
    ['one batch when everything fits', [10, 10, 10], { maxMessages: 10, maxBytes: 100 }, [[0, 1, 2]]],
    ['by count', [1, 1, 1, 1, 1], { maxMessages: 2, maxBytes: 100 }, [[0, 1], [2, 3], [4]]],
    ['by count of one', [1, 1, 1], { maxMessages: 1, maxBytes: 100 }, [[0], [1], [2]]],
    [
      'by bytes',
      [40, 40, 40, 40],
      { maxMessages: 10, maxBytes: 100 },
      [
        [0, 1],
        [2, 3],
      ],
    ],
    ['exactly maxBytes stays together', [50, 50, 50], { maxMessages: 10, maxBytes: 100 }, [[0, 1], [2]]],
    ['one byte over maxBytes splits', [50, 51], { maxMessages: 10, maxBytes: 100 }, [[0], [1]]],
    ['an oversized record alone', [10, 500, 10], { maxMessages: 10, maxBytes: 100 }, [[0], [1], [2]]],
    ['an oversized first record alone', [500, 10, 10], { maxMessages: 10, maxBytes: 100 }, [[0], [1, 2]]],
    ['zero-byte records by count', [0, 0, 0, 0], { maxMessages: 3, maxBytes: 100 }, [[0, 1, 2], [3]]],
    [
      'whichever bound comes first',
      [30, 30, 30, 1, 1, 1, 1],
      { maxMessages: 3, maxBytes: 70 },
      [
        [0, 1],
        [2, 3, 4],
        [5, 6],
      ],
    ],
  ])('splits %s', (_label, sizes, bounds, expected) => {
    expect(ids(splitBatches(recs(...sizes), sizeOf, bounds))).toEqual(expected);
  });

  it('keeps order and puts every record in exactly one batch', () => {
    const records = recs(...Array.from({ length: 257 }, (_, i) => (i * 37) % 101));
    const bounds = { maxMessages: 7, maxBytes: 250 };
    const batches = splitBatches(records, sizeOf, bounds);
    expect(batches.flat()).toEqual(records);
    for (const batch of batches) {
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(bounds.maxMessages);
      const bytes = batch.reduce((n, r) => n + r.size, 0);
      if (batch.length > 1) expect(bytes).toBeLessThanOrEqual(bounds.maxBytes);
    }
  });

  it('calls sizeOf once per record', () => {
    let calls = 0;
    splitBatches(recs(1, 2, 3), (r) => (calls++, r.size), { maxMessages: 2, maxBytes: 100 });
    expect(calls).toBe(3);
  });

  it('does not modify its input', () => {
    const records = Object.freeze(recs(1, 2, 3));
    expect(ids(splitBatches(records, sizeOf, { maxMessages: 1, maxBytes: 1 }))).toEqual([[0], [1], [2]]);
  });
});
