import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idHash } from './id-hash.ts';

describe('archive > id hash', () => {
  it('property: is deterministic and gives two safe, non-negative integers (D1 binds them exactly)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (id) => {
        const [h1, h2] = idHash(id);
        expect(idHash(id)).toEqual([h1, h2]);
        for (const h of [h1, h2]) expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      }),
    );
  });

  it('gives 200,000 distinct ids 200,000 distinct keys (ids as producers and the bridge make them)', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      keys.add(idHash(`kafka:port-events:${i % 12}:${i}`).join(':'));
      keys.add(idHash(`MSCU${String(i).padStart(7, '0')}-gate-in`).join(':'));
    }
    expect(keys.size).toBe(200_000);
  });
});
