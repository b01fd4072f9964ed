import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso6346CheckDigit, isImoNumber, isIso6346, isUnLocode, looksLikeDcsaEvent } from './dcsa.ts';

describe('protocol > dcsa identifiers', () => {
  it('accepts ISO 6346 codes whose check digit verifies and refuses a wrong digit', () => {
    expect(isIso6346('CSQU3054383')).toBe(true);
    expect(isIso6346('MSKU9070323')).toBe(true);
    expect(isIso6346('CSQU3054384')).toBe(false);
    expect(isIso6346('CSQX3054383')).toBe(false);
    expect(isIso6346('csqu3054383')).toBe(false);
  });

  it('finds exactly one valid check digit for every owner and serial', () => {
    const arb = fc.tuple(
      fc.stringMatching(/^[A-Z]{3}$/),
      fc.constantFrom('U', 'J', 'Z', 'R'),
      fc.stringMatching(/^[0-9]{6}$/),
    );
    fc.assert(
      fc.property(arb, ([owner, cat, serial]) => {
        const ten = `${owner}${cat}${serial}`;
        const valid = [...'0123456789'].filter((d) => isIso6346(`${ten}${d}`));
        expect(valid).toEqual([String(iso6346CheckDigit(ten))]);
      }),
    );
  });

  it('checks IMO numbers by their weighted check digit', () => {
    expect(isImoNumber('9074729')).toBe(true);
    expect(isImoNumber('9321483')).toBe(true);
    expect(isImoNumber('9074728')).toBe(false);
    expect(isImoNumber('907472')).toBe(false);
  });

  it('takes UN/LOCODE forms only', () => {
    expect(isUnLocode('NLRTM')).toBe(true);
    expect(isUnLocode('DEHAM')).toBe(true);
    expect(isUnLocode('NLRT1')).toBe(false);
    expect(isUnLocode('nlrtm')).toBe(false);
  });

  it('recognises a DCSA event by eventType, eventClassifierCode and eventCreatedDateTime together', () => {
    expect(looksLikeDcsaEvent({ eventType: 'EQUIPMENT', eventClassifierCode: 'ACT', eventCreatedDateTime: 'x' })).toBe(
      true,
    );
    expect(looksLikeDcsaEvent({ eventType: 'EQUIPMENT', eventCreatedDateTime: 'x' })).toBe(false);
    expect(
      looksLikeDcsaEvent({ eventType: 'ContainerLoaded', eventClassifierCode: 'ACT', eventCreatedDateTime: 'x' }),
    ).toBe(false);
    expect(looksLikeDcsaEvent([{}])).toBe(false);
  });
});
