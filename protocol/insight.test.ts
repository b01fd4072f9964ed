import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_LOWER,
  COARSE_ERROR,
  addDays,
  bucketOf,
  coarseOf,
  mondayOf,
  nearestRank,
  shiftAt,
  summarize,
  wallClock,
  type HistogramBin,
} from './insight.ts';

const SHIFTS = [
  { name: 'Early', start: '06:00' },
  { name: 'Late', start: '14:00' },
  { name: 'Night', start: '22:00' },
];

function binsOf(values: number[]): HistogramBin[] {
  const m = new Map<number, HistogramBin>();
  for (const v of values) {
    const b = coarseOf(bucketOf(v));
    const bin = m.get(b) ?? { bucket: b, n: 0, sumMs: 0 };
    bin.n++;
    bin.sumMs += v;
    m.set(b, bin);
  }
  return [...m.values()];
}

describe('insight > histogram', () => {
  it('puts a duration in the bucket whose bounds hold it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ms) => {
        const b = bucketOf(ms);
        expect(BUCKET_LOWER[b]!).toBeLessThanOrEqual(ms);
        if (b + 1 < BUCKET_LOWER.length) expect(BUCKET_LOWER[b + 1]!).toBeGreaterThan(ms);
      }),
    );
  });

  it('groups five fine buckets into a coarse one, fine bucket 0 alone', () => {
    expect([0, 1, 5, 6, 10, 11, 480].map(coarseOf)).toEqual([0, 1, 1, 2, 2, 3, 96]);
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 10 ** 12 }), (ms) => {
        const c = coarseOf(bucketOf(ms));
        expect(BUCKET_LOWER[5 * c - 4]!).toBeLessThanOrEqual(ms);
        expect(BUCKET_LOWER[5 * c + 1]!).toBeGreaterThan(ms);
      }),
    );
  });

  it('median and p90 within 1.05^2.5 - 1 (13 %) of the nearest-rank truth (1 s absolute below 1 s); mean exact', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 * 86_400_000 }), { minLength: 1, maxLength: 200 }), (xs) => {
        const s = summarize(binsOf(xs));
        expect(s.count).toBe(xs.length);
        expect(s.meanMs).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 3);
        for (const [q, got] of [
          [0.5, s.medianMs],
          [0.9, s.p90Ms],
        ] as const) {
          const want = nearestRank(xs, q)!;
          if (want < 1000) expect(Math.abs(got! - want)).toBeLessThan(1000);
          else expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(COARSE_ERROR);
        }
      }),
    );
  });

  it('an empty histogram has no mean or percentiles', () => {
    expect(summarize([])).toEqual({ count: 0, meanMs: null, medianMs: null, p90Ms: null });
  });
});

describe('insight > shifts, weeks and time zones', () => {
  it('assigns a shift across midnight to the night shift', () => {
    expect(shiftAt(SHIFTS, 23 * 60)).toBe('Night');
    expect(shiftAt(SHIFTS, 0)).toBe('Night');
    expect(shiftAt(SHIFTS, 5 * 60 + 59)).toBe('Night');
    expect(shiftAt(SHIFTS, 6 * 60)).toBe('Early');
    expect(shiftAt(SHIFTS, 14 * 60)).toBe('Late');
  });

  it('every minute of the day is in exactly the shift whose span holds it, whatever the order given', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1439 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1439 }),
        (starts, minute) => {
          const shifts = starts.map((m, i) => ({
            name: `s${i}`,
            start: `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`,
          }));
          const sorted = [...starts].sort((a, b) => a - b);
          const startOf = sorted.filter((s) => s <= minute).at(-1) ?? sorted.at(-1)!;
          expect(shiftAt(shifts, minute)).toBe(`s${starts.indexOf(startOf)}`);
        },
      ),
    );
  });

  it('maps UTC hours to Amsterdam wall clock across both DST changes', () => {
    // 2026-10-25: 00:00 and 01:00 UTC are both 02:xx local; 2027-03-28: 02:00 local never happens.
    expect(wallClock(Date.UTC(2026, 9, 25, 0), 'Europe/Amsterdam')).toMatchObject({
      date: '2026-10-25',
      weekday: 6,
      hour: 2,
    });
    expect(wallClock(Date.UTC(2026, 9, 25, 1), 'Europe/Amsterdam')).toMatchObject({ hour: 2 });
    expect(wallClock(Date.UTC(2027, 2, 28, 0), 'Europe/Amsterdam').hour).toBe(1);
    expect(wallClock(Date.UTC(2027, 2, 28, 1), 'Europe/Amsterdam').hour).toBe(3);
    expect(wallClock(Date.UTC(2026, 9, 25, 23), 'Europe/Amsterdam')).toMatchObject({
      date: '2026-10-26',
      weekday: 0,
      hour: 0,
    });
  });

  it('finds the Monday of any date, within the last 7 days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (n) => {
        const date = addDays('2000-01-01', n);
        const monday = mondayOf(date);
        expect(new Date(`${monday}T00:00:00Z`).getUTCDay()).toBe(1);
        const diff = (Date.parse(`${date}T00:00:00Z`) - Date.parse(`${monday}T00:00:00Z`)) / 86_400_000;
        expect(diff).toBeGreaterThanOrEqual(0);
        expect(diff).toBeLessThan(7);
      }),
    );
  });
});
