import { describe, expect, it } from 'vitest';
import { parseTimestamp, toIso } from './time.ts';

const iso = (value: unknown) => {
  const ms = parseTimestamp(value);
  return ms === undefined ? undefined : toIso(ms);
};

describe('protocol > parseTimestamp', () => {
  it.each([
    ['.NET, 7 fractional digits, no zone (UTC)', '2026-11-29T08:15:02.1234567', '2026-11-29T08:15:02.123Z'],
    ['.NET, 7 fractional digits, Z', '2026-11-29T08:15:02.1234567Z', '2026-11-29T08:15:02.123Z'],
    ['no fraction, no zone', '2026-11-29T08:15:02', '2026-11-29T08:15:02.000Z'],
    ['Z', '2026-11-29T08:15:02Z', '2026-11-29T08:15:02.000Z'],
    ['lower-case z', '2026-11-29T08:15:02z', '2026-11-29T08:15:02.000Z'],
    ['milliseconds and Z', '2026-11-29T08:15:02.345Z', '2026-11-29T08:15:02.345Z'],
    ['one fractional digit', '2026-11-29T08:15:02.5Z', '2026-11-29T08:15:02.500Z'],
    ['9 fractional digits', '2026-11-29T08:15:02.123456789Z', '2026-11-29T08:15:02.123Z'],
    ['comma as decimal mark', '2026-11-29T08:15:02,25Z', '2026-11-29T08:15:02.250Z'],
    ['+01:00', '2026-11-29T08:15:02+01:00', '2026-11-29T07:15:02.000Z'],
    ['-0530', '2026-11-29T08:15:02-0530', '2026-11-29T13:45:02.000Z'],
    ['+05:45 (Nepal)', '2026-11-29T08:15:02+05:45', '2026-11-29T02:30:02.000Z'],
    ['-03 (hours only)', '2026-11-29T08:15:02-03', '2026-11-29T11:15:02.000Z'],
    ['+00:00', '2026-11-29T08:15:02+00:00', '2026-11-29T08:15:02.000Z'],
    ['.NET fraction with an offset', '2026-11-29T08:15:02.1234567+01:00', '2026-11-29T07:15:02.123Z'],
    ['offset crossing midnight', '2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['space instead of T', '2026-11-29 08:15:02', '2026-11-29T08:15:02.000Z'],
    ['minutes only', '2026-11-29T08:15Z', '2026-11-29T08:15:00.000Z'],
    ['date only', '2026-11-29', '2026-11-29T00:00:00.000Z'],
    ['surrounding whitespace', '  2026-11-29T08:15:02Z  ', '2026-11-29T08:15:02.000Z'],
    ['leap day', '2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['last second of a day', '2026-12-31T23:59:59.999Z', '2026-12-31T23:59:59.999Z'],
  ])('reads %s', (_label, value, expected) => {
    expect(iso(value)).toBe(expected);
  });

  it.each([
    ['February 31st', '2026-02-31T00:00:00Z'],
    ['February 29th of a common year', '2026-02-29T00:00:00Z'],
    ['April 31st', '2026-04-31'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 00', '2026-00-10T00:00:00Z'],
    ['day 00', '2026-01-00T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['second 60', '2026-01-01T10:00:60Z'],
    ['a two-digit year (Date.UTC would read it as 19xx)', '0050-01-01T00:00:00Z'],
    ['garbage', 'not a date'],
    ['an empty string', ''],
    ['a US date', '11/29/2026 08:15:02'],
    ['an RFC 2822 date', 'Sun, 29 Nov 2026 08:15:02 GMT'],
    ['a trailing word', '2026-11-29T08:15:02Z tomorrow'],
    ['a zone name', '2026-11-29T08:15:02 CET'],
    ['a 5-digit year', '20260-11-29T08:15:02Z'],
    ['missing seconds digits', '2026-11-29T08:15:2Z'],
    ['an empty fraction', '2026-11-29T08:15:02.Z'],
  ])('rejects %s', (_label, value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { at: '2026-11-29' }],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['zero', 0],
    ['a negative number', -5],
  ])('rejects %s', (_label, value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it('takes a positive number as epoch milliseconds, truncated', () => {
    expect(parseTimestamp(1_764_404_102_123.9)).toBe(1_764_404_102_123);
  });

  it('is the same instant whatever the offset notation', () => {
    const values = [
      '2026-11-29T08:15:02Z',
      '2026-11-29T09:15:02+01:00',
      '2026-11-29T09:15:02+0100',
      '2026-11-29T02:45:02-05:30',
      '2026-11-29T08:15:02',
    ];
    expect(new Set(values.map((v) => parseTimestamp(v))).size).toBe(1);
  });
});

describe('protocol > toIso', () => {
  it('writes ISO-8601 UTC with milliseconds', () => {
    expect(toIso(Date.UTC(2026, 10, 29, 8, 15, 2, 7))).toBe('2026-11-29T08:15:02.007Z');
  });

  it('round-trips through parseTimestamp', () => {
    const ms = Date.UTC(2031, 5, 15, 23, 59, 58, 999);
    expect(parseTimestamp(toIso(ms))).toBe(ms);
  });
});
