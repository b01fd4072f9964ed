import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES, STATUSES, parseSeverity, parseStatus } from './enums.ts';
import { parseFilterList } from './filter-list.ts';
import { parseSeverityList } from './room.ts';

describe('protocol > parseFilterList', () => {
  it('folds repeats, keeps the first-seen order, refuses an unknown entry', () => {
    expect(parseFilterList(Array(120).fill('High').join(','), parseSeverity)).toEqual(['High']);
    expect(parseFilterList('low, High ,low,Critical', parseSeverity)).toEqual(['Low', 'High', 'Critical']);
    expect(parseFilterList('High,Loud', parseSeverity)).toBeUndefined();
    expect(parseFilterList('High,', parseSeverity)).toBeUndefined();
  });

  it('property: any list of known values, repeated and spelled in any case, parses to its distinct values — never more entries than known values', () => {
    for (const [known, parse] of [
      [SEVERITIES, parseSeverity],
      [STATUSES, parseStatus],
    ] as const) {
      const spelled = fc
        .constantFrom(...(known as readonly string[]))
        .chain((v) => fc.constantFrom(v, v.toLowerCase(), v.toUpperCase(), ` ${v}  `));
      fc.assert(
        fc.property(fc.array(spelled, { minLength: 1, maxLength: 500 }), (entries) => {
          const parsed = parseFilterList(entries.join(','), parse as (s: string) => string | undefined);
          const distinct = [
            ...new Set(
              entries.map((e) => (known as readonly string[]).find((k) => k.toLowerCase() === e.trim().toLowerCase())),
            ),
          ];
          expect(parsed).toEqual(distinct);
          expect(parsed!.length).toBeLessThanOrEqual(known.length);
        }),
      );
    }
  });

  it('property: the room’s severity list folds repeats the same way', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SEVERITIES), { minLength: 1, maxLength: 300 }), (sevs) => {
        expect(parseSeverityList(sevs.join(','))).toEqual([...new Set(sevs)]);
      }),
    );
  });
});
