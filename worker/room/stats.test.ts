import { describe, expect, it } from 'vitest';
import { EventRate } from './stats.ts';

describe('worker > room > stats > EventRate', () => {
  it('counts the changes stored within the last minute, settles that stored nothing aside', () => {
    const rate = new EventRate();
    rate.record(5, 1_000);
    rate.record(0, 2_000);
    rate.record(3, 30_000);
    expect(rate.lastMinute(60_000)).toBe(8);
    expect(rate.lastMinute(61_000)).toBe(3); // the first settle is a minute old
    expect(rate.lastMinute(90_001)).toBe(0);
  });

  it('keeps a bounded number of settles whatever the rate', () => {
    const rate = new EventRate();
    for (let i = 0; i < 10_050; i++) rate.record(1, 1_000);
    expect(rate.lastMinute(1_000)).toBe(10_000);
  });
});
