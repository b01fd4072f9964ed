import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import {
  account,
  addDelivery,
  cpuPerThousand,
  median,
  mergeEncoded,
  newLatencyHistogram,
  ratios,
  spread,
  summarize,
} from './stats.ts';

describe('bench > stats', () => {
  it('summarizes a latency histogram in milliseconds', () => {
    const h = newLatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.recordValue(i * 1000); // 1..1000 ms
    const s = summarize(h);
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBeCloseTo(500, -1);
    expect(s.p99Ms).toBeCloseTo(990, -1);
    expect(s.maxMs).toBeCloseTo(1000, -1);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(summarize(newLatencyHistogram())).toEqual({ count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('merges histograms sent by several client processes', () => {
    const a = newLatencyHistogram();
    const b = newLatencyHistogram();
    a.recordValue(1000);
    b.recordValue(3000);
    const m = mergeEncoded([hdr.encodeIntoCompressedBase64(a), hdr.encodeIntoCompressedBase64(b)]);
    expect(m.totalCount).toBe(2);
    expect(summarize(m).maxMs).toBeCloseTo(3, 1);
  });

  it('counts lost, duplicated and unexpected ids of one client', () => {
    // produced 6; the client must get the even ones; it got 0 twice, 2 once, 3 (unexpected), not 4
    const counts = [2, 0, 1, 1, 0, 0];
    const d = account(counts, 6, (n) => n % 2 === 0);
    expect(d).toEqual({ expected: 3, received: 4, lost: 1, duplicated: 1, unexpected: 1, outOfOrder: 0 });
  });

  it('counts an id beyond the produced range as unexpected', () => {
    expect(account([1, 1, 1], 2, () => true).unexpected).toBe(1);
  });

  it('adds accounts', () => {
    const a = account([1], 1, () => true);
    expect(addDelivery(a, a)).toEqual({
      expected: 2,
      received: 2,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      outOfOrder: 0,
    });
  });

  it('takes medians, spreads and paired ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spread([3, 1, 2])).toEqual({ min: 1, max: 3 });
    expect(ratios([2, 6, 1], [1, 3, 0])).toEqual([2, 2]);
  });

  it('expresses CPU per 1,000 deliveries', () => {
    expect(cpuPerThousand(2, 4000)).toBe(0.5);
    expect(cpuPerThousand(2, 0)).toBeNaN();
  });
});
