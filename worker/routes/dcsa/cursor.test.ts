import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DCSA_EVENT_TYPES,
  EQUIPMENT_EVENT_TYPE_CODES,
  SHIPMENT_EVENT_TYPE_CODES,
  TRANSPORT_EVENT_TYPE_CODES,
} from '../../../protocol/dcsa.ts';
import type { DcsaPosition } from '../../db/dcsa-events.ts';
import { type DcsaCursor, decodeDcsaCursor, encodeDcsaCursor, fromMask, toMask, withoutUndefined } from './cursor.ts';

/** A non-empty subset of a code list, in the list's order (what a decoded mask gives back). */
const subset = <T extends string>(list: readonly T[]) =>
  fc.subarray([...list], { minLength: 1 }).map((s) => list.filter((v) => s.includes(v)));

const position: fc.Arbitrary<DcsaPosition> = fc.oneof(
  fc.nat().map((after) => ({ after })),
  fc.nat().map((before) => ({ before })),
  fc.constant({ last: true as const }),
);

const cursor: fc.Arbitrary<DcsaCursor> = fc.record({
  limit: fc.integer({ min: 1, max: 500 }),
  position,
  filter: fc
    .record(
      {
        eventTypes: subset(DCSA_EVENT_TYPES),
        equipmentCodes: subset(EQUIPMENT_EVENT_TYPE_CODES),
        transportCodes: subset(TRANSPORT_EVENT_TYPE_CODES),
        shipmentCodes: subset(SHIPMENT_EVENT_TYPE_CODES),
        equipmentReference: fc.string({ maxLength: 15 }),
        vesselIMONumber: fc.string({ maxLength: 7 }),
        unLocationCode: fc.string({ maxLength: 5 }),
        createdFrom: fc.integer({ min: -8.64e15, max: 8.64e15 }),
        createdTo: fc.integer({ min: -8.64e15, max: 8.64e15 }),
      },
      { requiredKeys: [] },
    )
    .map(withoutUndefined),
});

describe('dcsa > out > cursor', () => {
  it('decodes what it encodes, as URL-safe text within the query schema’s 500 characters', () => {
    fc.assert(
      fc.property(cursor, (c) => {
        const text = encodeDcsaCursor(c);
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(text.length).toBeLessThanOrEqual(500);
        expect(decodeDcsaCursor(text)).toEqual(c);
      }),
      { numRuns: 500 },
    );
  });

  it('stays under 500 characters with every filter at its longest (escaped characters included)', () => {
    const all = <T extends string>(l: readonly T[]) => [...l];
    const text = encodeDcsaCursor({
      limit: 500,
      position: { before: Number.MAX_SAFE_INTEGER },
      filter: {
        eventTypes: all(DCSA_EVENT_TYPES),
        equipmentCodes: all(EQUIPMENT_EVENT_TYPE_CODES),
        transportCodes: all(TRANSPORT_EVENT_TYPE_CODES),
        shipmentCodes: all(SHIPMENT_EVENT_TYPE_CODES),
        equipmentReference: '\u0001'.repeat(15),
        vesselIMONumber: '\u0001'.repeat(7),
        unLocationCode: '\u0001'.repeat(5),
        createdFrom: -8.64e15,
        createdTo: -8.64e15,
      },
    });
    expect(text.length).toBeLessThanOrEqual(500);
  });

  it('refuses garbled, tampered and foreign text', () => {
    const good = encodeDcsaCursor({ limit: 10, position: { after: 5 }, filter: {} });
    const json = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, '');
    for (const bad of [
      '',
      '!!!',
      'a',
      `${good}%`,
      good.slice(0, -3),
      json({ v: 2, n: 10, a: 5 }),
      json({ v: 1, n: 10 }),
      json({ v: 1, n: 10, a: 5, b: 6 }),
      json({ v: 1, n: 0, a: 5 }),
      json({ v: 1, n: 501, a: 5 }),
      json({ v: 1, n: 10, a: -1 }),
      json({ v: 1, n: 10, a: 1.5 }),
      json({ v: 1, n: 10, a: 5, t: 8 }),
      json({ v: 1, n: 10, a: 5, t: 0 }),
      json({ v: 1, n: 10, a: 5, x: 1 }),
      json({ v: 1, n: 10, a: 5, r: 'x'.repeat(16) }),
      json([1, 2]),
      json(null),
      btoa('\xff\xfe'),
    ])
      expect(decodeDcsaCursor(bad), bad).toBeUndefined();
    fc.assert(fc.property(fc.string(), (s) => void decodeDcsaCursor(s)));
  });

  it('masks keep a list’s values in the list’s order, without repeats', () => {
    expect(toMask(TRANSPORT_EVENT_TYPE_CODES, ['DEPA', 'ARRI', 'DEPA'])).toBe(3);
    expect(fromMask(EQUIPMENT_EVENT_TYPE_CODES, toMask(EQUIPMENT_EVENT_TYPE_CODES, ['GTOT', 'LOAD']))).toEqual([
      'LOAD',
      'GTOT',
    ]);
    expect(toMask(DCSA_EVENT_TYPES, undefined)).toBeUndefined();
  });
});
