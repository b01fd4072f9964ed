/** Pure result arithmetic: histogram summaries, delivery accounting, medians, ratios and spreads. */
import * as hdr from 'hdr-histogram-js';

/** Latencies are recorded in microseconds; summaries are in milliseconds. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export type LatencySummary = { count: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number };

const ms = (us: number) => Math.round(us / 10) / 100;

export function summarize(h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
  };
}

/** Merges histograms sent by the client processes (compressed base64). */
export function mergeEncoded(encoded: string[]): hdr.Histogram {
  const total = newLatencyHistogram();
  for (const e of encoded) total.add(hdr.decodeFromCompressedBase64(e));
  return total;
}

export type Delivery = {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  outOfOrder: number;
};

/**
 * One client's account: `counts[n]` is how many times event n arrived; `mustReceive(n)` says
 * whether the client should have it. Lost = expected ids never received; duplicated = extra
 * copies; unexpected = ids outside the client's room/filter.
 */
export function account(
  counts: ArrayLike<number>,
  produced: number,
  mustReceive: (n: number) => boolean,
  outOfOrder = 0,
): Delivery {
  const d: Delivery = { expected: 0, received: 0, lost: 0, duplicated: 0, unexpected: 0, outOfOrder };
  const limit = Math.max(produced, counts.length);
  for (let n = 0; n < limit; n++) {
    const c = n < counts.length ? counts[n]! : 0;
    const want = n < produced && mustReceive(n);
    if (want) d.expected++;
    if (c > 0) {
      d.received += c;
      if (c > 1) d.duplicated += c - 1;
      if (!want) d.unexpected++;
    } else if (want) d.lost++;
  }
  return d;
}

export function addDelivery(a: Delivery, b: Delivery): Delivery {
  return {
    expected: a.expected + b.expected,
    received: a.received + b.received,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
    unexpected: a.unexpected + b.unexpected,
    outOfOrder: a.outOfOrder + b.outOfOrder,
  };
}

export const NO_DELIVERY: Delivery = { expected: 0, received: 0, lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 };

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export type Spread = { min: number; max: number };

export function spread(values: number[]): Spread {
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** Per-round ratios a/b (rounds paired by index), skipping rounds where b is 0. */
export function ratios(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (b[i]! !== 0 && Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) out.push(a[i]! / b[i]!);
  return out;
}

export const round2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
export const round3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);

/** CPU seconds per 1,000 deliveries (or stored events). */
export function cpuPerThousand(cpuSeconds: number, deliveries: number): number {
  return deliveries > 0 ? round3((cpuSeconds * 1000) / deliveries) : NaN;
}
