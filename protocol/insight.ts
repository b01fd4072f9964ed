/**
 * Operations insight (docs/insight.md), the pure parts: the SLA document, the response-time
 * histogram (the same bucket bounds migrations/0010_insight.sql stores, and the coarse buckets
 * of 0013_insight_rollups.sql the queries answer from), percentiles from it,
 * shifts across midnight, and mapping UTC hours to a time zone's wall clock (DST included).
 */
import type { Category, Severity } from './enums.ts';

export type SlaTarget = { severity: Severity; category: Category | null; ackMinutes: number; resolveMinutes: number };
export type Shift = { name: string; start: string };
export type SlaDocument = {
  targets: SlaTarget[];
  timeZone: string;
  shifts: Shift[];
  updatedAt: number | null;
  updatedBy: string | null;
};
export type SlaInput = Pick<SlaDocument, 'targets' | 'timeZone' | 'shifts'>;

export const INSIGHT_DIMENSIONS = ['category', 'severity', 'eventType', 'assignee', 'shift'] as const;
export type InsightDimension = (typeof INSIGHT_DIMENSIONS)[number];
export const ENTITY_KINDS = ['berth', 'ship', 'container', 'crane', 'port'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Histogram: bucket 0 = [0, 1 s); bucket b >= 1 = [1 s·1.05^(b-1), 1 s·1.05^b); the last is open-ended. */
export const BUCKET_RATIO = 1.05;
export const BUCKET_COUNT = 481;
/** Lower bounds, computed by repeated multiplication exactly as the migration's recursive CTE does. */
export const BUCKET_LOWER: readonly number[] = (() => {
  const lo = [0];
  let v = 1000;
  for (let b = 1; b < BUCKET_COUNT; b++) {
    lo.push(v);
    v *= BUCKET_RATIO;
  }
  return lo;
})();

/** The bucket of a duration in ms (the greatest b whose lower bound is <= ms). */
export function bucketOf(ms: number): number {
  const d = Math.max(0, ms);
  let lo = 0;
  let hi = BUCKET_COUNT - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (BUCKET_LOWER[mid]! <= d) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Coarse buckets, the ones the queries read (migrations/0013_insight_rollups.sql): coarse 0 = fine
 * bucket 0; coarse c >= 1 = fine buckets 5c-4 .. 5c, i.e. [1 s·1.05^(5c-5), 1 s·1.05^(5c)).
 */
export const COARSE_SPAN = 5;
export const coarseOf = (fine: number): number => Math.floor((fine + COARSE_SPAN - 1) / COARSE_SPAN);
/** The relative error of a coarse bucket's geometric midpoint: 1.05^2.5 - 1 ≈ 12.97 %. */
export const COARSE_ERROR = BUCKET_RATIO ** (COARSE_SPAN / 2) - 1;

/** The value a coarse bucket stands for: its geometric midpoint (relative error <= COARSE_ERROR); bucket 0: its mean. */
export function bucketValue(c: number, meanInBucket: number): number {
  if (c === 0) return meanInBucket;
  return BUCKET_LOWER[COARSE_SPAN * c - COARSE_SPAN + 1]! * BUCKET_RATIO ** (COARSE_SPAN / 2);
}

/** `bucket` is a coarse bucket. */
export type HistogramBin = { bucket: number; n: number; sumMs: number };
export type Summary = { count: number; meanMs: number | null; medianMs: number | null; p90Ms: number | null };

/**
 * Count, mean (exact, from sums) and the nearest-rank median and p90 (the value of rank ceil(q·n)
 * in sorted order) from coarse histogram bins; the percentiles are within COARSE_ERROR (13 %) of
 * the true value for durations of 1 s and more, within 1 s below that.
 */
export function summarize(bins: readonly HistogramBin[]): Summary {
  const byBucket = new Map<number, { n: number; sumMs: number }>();
  for (const b of bins) {
    const cur = byBucket.get(b.bucket) ?? { n: 0, sumMs: 0 };
    cur.n += b.n;
    cur.sumMs += b.sumMs;
    byBucket.set(b.bucket, cur);
  }
  const sorted = [...byBucket.entries()].filter(([, v]) => v.n > 0).sort((a, b) => a[0] - b[0]);
  const count = sorted.reduce((s, [, v]) => s + v.n, 0);
  if (count === 0) return { count: 0, meanMs: null, medianMs: null, p90Ms: null };
  const sum = sorted.reduce((s, [, v]) => s + v.sumMs, 0);
  const at = (q: number) => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (const [b, v] of sorted) {
      seen += v.n;
      if (seen >= rank) return bucketValue(b, v.sumMs / v.n);
    }
    return null;
  };
  return { count, meanMs: sum / count, medianMs: at(0.5), p90Ms: at(0.9) };
}

/** Nearest-rank percentile of raw values (what `summarize` approximates; used by tests). */
export function nearestRank(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function wallFormat(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(tz, f);
  }
  return f;
}

/** True for an IANA zone (or "UTC") the runtime's Intl knows. */
export function isTimeZone(tz: string): boolean {
  if (tz.trim() === '' || tz.length > 64) return false;
  try {
    wallFormat(tz);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
export type Wall = { date: string; weekday: number; hour: number; minuteOfDay: number };

/** The wall clock in `tz` at instant `ms`: local date, weekday (0 = Monday), hour, minute of the day. */
export function wallClock(ms: number, tz: string): Wall {
  const p: Record<string, string> = {};
  for (const part of wallFormat(tz).formatToParts(ms)) p[part.type] = part.value;
  const hour = Number(p.hour);
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: WEEKDAYS.indexOf(p.weekday!),
    hour,
    minuteOfDay: hour * 60 + Number(p.minute),
  };
}

/** The Monday (YYYY-MM-DD) of the week holding local date `date`. */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = Date.UTC(y, m - 1, d);
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - dow * DAY_MS).toISOString().slice(0, 10);
}

/** `date` plus `days` (calendar arithmetic on local dates, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Minutes after midnight of "HH:MM". */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * The shift a local minute of the day falls in: the one with the latest start at or before it;
 * before the earliest start, the latest shift (the one running across midnight).
 */
export function shiftAt(shifts: readonly Shift[], minuteOfDay: number): string {
  if (shifts.length === 0) return '';
  const sorted = [...shifts].sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
  let found = sorted[sorted.length - 1]!;
  for (const s of sorted) if (minutesOf(s.start) <= minuteOfDay) found = s;
  return found.name;
}

/** The target in force for an event: the category's own, else the severity's default. */
export function targetFor(
  targets: readonly SlaTarget[],
  severity: Severity,
  category: Category,
): SlaTarget | undefined {
  return (
    targets.find((t) => t.severity === severity && t.category === category) ??
    targets.find((t) => t.severity === severity && t.category === null)
  );
}

export type ResponseRow = { key: string; ack: Summary; resolve: Summary };
export type ResponseTimes = { from: number; to: number; timeZone: string; by: InsightDimension; rows: ResponseRow[] };
export type Compliance = { met: number; breached: number; compliance: number | null };
export type SlaRow = { key: string; ack: Compliance; resolve: Compliance };
export type SlaReport = {
  from: number;
  to: number;
  timeZone: string;
  by: InsightDimension;
  rows: SlaRow[];
  openBreached: { ack: number; resolve: number };
};
export type Heatmap = { from: number; to: number; timeZone: string; categories: Record<string, number[][]> };
export type Trends = { timeZone: string; weeks: { start: string; counts: Record<string, Record<string, number>> }[] };
export type TopEntities = {
  kind: EntityKind;
  from: number;
  to: number;
  rows: { id: string; count: number; critical: number }[];
};
