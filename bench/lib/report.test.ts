import { describe, expect, it } from 'vitest';
import { cell, compare, summarizeSystem } from './report.ts';

const headline = [{ key: 'p99Ms', better: 'lower' as const }];

describe('bench > report', () => {
  it('takes medians and spreads over rounds and sums losses', () => {
    const s = summarizeSystem(
      [
        { p99Ms: 10, lost: 0, duplicated: 0, failed: false },
        { p99Ms: 30, lost: 2, duplicated: 1, failed: true },
        { p99Ms: 20, lost: 0, duplicated: 0, failed: false },
      ],
      headline,
      (r) => !r.failed && Number(r.p99Ms) <= 100,
    );
    expect(s.p99Ms).toBe(20);
    expect(s.spread.p99Ms).toEqual({ min: 10, max: 30 });
    expect(s.lost).toBe(2);
    expect(s.duplicated).toBe(1);
    expect(s.failedRounds).toBe(1);
    expect(s.passed).toBe(false);
  });

  it('fails a system when a round crashed', () => {
    const s = summarizeSystem([{ p99Ms: 1, failed: false }, { error: 'boom' }], headline, () => true);
    expect(s.passed).toBe(false);
    expect(s.errors).toEqual(['boom']);
    expect(cell(s, headline)).toMatch(/fail/);
  });

  it('compares Quaycast with the peer round by round', () => {
    const r = compare([{ p99Ms: 20 }, { p99Ms: 40 }], [{ p99Ms: 10 }, { p99Ms: 10 }], headline);
    expect(r.p99Ms).toEqual({ value: 3, min: 2, max: 4, better: 'lower' });
  });
});
