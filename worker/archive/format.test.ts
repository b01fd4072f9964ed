import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject, lineChange, objectKey, sha256Hex, type ArchivedLine } from './format.ts';

const line = fc.oneof(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    seq: fc.integer({ min: 1, max: 2 ** 40 }),
    category: fc.constantFrom('Container', 'Ship', 'Berth', 'Port', 'System'),
    deleted: fc.constant(true),
  }),
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    seq: fc.integer({ min: 1, max: 2 ** 40 }),
    category: fc.constantFrom('Container', 'Ship'),
    title: fc.string({ maxLength: 200 }),
    description: fc.option(fc.string({ unit: 'grapheme', maxLength: 100 })),
    eventData: fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    history: fc.option(fc.array(fc.record({ seq: fc.nat(), action: fc.constant('acknowledge') }), { maxLength: 3 }), {
      nil: undefined,
    }),
  }),
) as fc.Arbitrary<ArchivedLine>;

describe('archive > object format', () => {
  it('property: gzip NDJSON gives back every line, equal and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), async (lines) => {
        const bytes = await encodeObject(lines);
        expect(bytes[0]).toBe(0x1f); // gzip magic
        expect(bytes[1]).toBe(0x8b);
        const back = await decodeObject(bytes);
        expect(back).toEqual(JSON.parse(JSON.stringify(lines)));
      }),
      { numRuns: 60 },
    );
  });

  it('names objects by room, UTC day of the oldest change and zero-padded seq range, so a folder lists in seq order', () => {
    expect(objectKey('Ship', 0, 4031, Date.parse('2026-11-29T23:59:59.999Z'))).toBe(
      'events/Ship/2026/11/29/000000000000-000000004031.ndjson.gz',
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e11 }), fc.integer({ min: 1, max: 1e11 }), (a, d) => {
        const day = Date.parse('2026-12-01T00:00:00Z');
        expect(objectKey('Port', a, a + d, day) < objectKey('Port', a + d, a + 2 * d, day)).toBe(true);
      }),
    );
  });

  it('gives the changefeed a line without its history, and a tombstone as a tombstone', () => {
    expect(lineChange({ id: 'x', seq: 3, category: 'Ship', deleted: true })).toEqual({
      id: 'x',
      seq: 3,
      category: 'Ship',
      deleted: true,
    });
    const withHistory = { id: 'y', seq: 4, category: 'Ship', title: 't', history: [] } as unknown as ArchivedLine;
    expect(lineChange(withHistory)).toEqual({ id: 'y', seq: 4, category: 'Ship', title: 't' });
  });

  it('hashes bytes as R2 checks them (hex SHA-256)', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
