/**
 * The Insight page's pure parts: time ranges in the port's time zone, the query strings of the
 * /api/insight routes, what the charts and tables show, and the live-refresh throttle.
 */

export const DIMENSIONS = ['category', 'severity', 'eventType', 'assignee', 'shift'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const DIMENSION_LABEL: Record<Dimension, string> = {
  category: 'Category',
  severity: 'Severity',
  eventType: 'Event type',
  assignee: 'Assignee',
  shift: 'Shift',
};
export const ENTITY_KINDS = ['berth', 'ship', 'container', 'crane', 'port'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const PRESETS = ['24h', '7d', '30d', 'week', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];
export const PRESET_LABEL: Record<Preset, string> = {
  '24h': 'Last 24 h',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  week: 'This week',
  custom: 'Custom',
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** True for a time zone this browser's Intl knows (IANA names, "UTC"). */
export function isTimeZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function wallFormat(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(tz, f);
  }
  return f;
}

/** The wall clock in `tz` at instant `ms`, as "YYYY-MM-DDTHH:MM" (what <input type="datetime-local"> holds). */
export function toWall(ms: number, tz: string): string {
  const p = Object.fromEntries(
    wallFormat(tz)
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** `tz`'s offset from UTC at instant `ms`, in ms (Amsterdam in summer: +7 200 000). */
export function zoneOffset(ms: number, tz: string): number {
  const p = Object.fromEntries(
    wallFormat(tz)
      .formatToParts(ms)
      .map((x) => [x.type, Number(x.value)]),
  );
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a wall-clock time "YYYY-MM-DDTHH:MM" names in `tz`. A time in a DST gap (02:30 on
 * the spring-forward night) moves forward by the gap; an ambiguous one (autumn) takes the earlier.
 */
export function fromWall(wall: string, tz: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!m) return undefined;
  const naive = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(naive)) return undefined;
  // Try the offsets in force a day either side: one of them makes the wall clock read right.
  const offsets = [...new Set([zoneOffset(naive - DAY, tz), zoneOffset(naive + DAY, tz)])].sort((a, b) => b - a);
  for (const off of offsets) {
    const t = naive - off;
    if (toWall(t, tz) === wall) return t;
  }
  return naive - Math.min(...offsets); // in a gap: the later offset moves it past the gap
}

/** Monday 00:00 of the week holding `ms`, in `tz`. */
export function startOfWeek(ms: number, tz: string): number {
  const wall = toWall(ms, tz);
  const [y, mo, d] = wall.slice(0, 10).split('-').map(Number) as [number, number, number];
  const dow = (new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 6) % 7; // 0 = Monday
  const monday = new Date(Date.UTC(y, mo - 1, d - dow));
  return fromWall(`${monday.toISOString().slice(0, 10)}T00:00`, tz)!;
}

export type Range = { from: number; to: number };

/** The range a preset names at `now` (custom: the given wall times in `tz`); undefined when invalid. */
export function rangeOf(
  preset: Preset,
  now: number,
  tz: string,
  custom?: { from: string; to: string },
): Range | undefined {
  switch (preset) {
    case '24h':
      return { from: now - DAY, to: now };
    case '7d':
      return { from: now - 7 * DAY, to: now };
    case '30d':
      return { from: now - 30 * DAY, to: now };
    case 'week':
      return { from: startOfWeek(now, tz), to: now };
    case 'custom': {
      const from = custom ? fromWall(custom.from, tz) : undefined;
      const to = custom ? fromWall(custom.to, tz) : undefined;
      return from !== undefined && to !== undefined && from < to ? { from, to } : undefined;
    }
  }
}

export type InsightParams = {
  range: Range;
  tz: string;
  by: Dimension;
  kind: EntityKind;
  weeks: number;
};

export type InsightQuery = 'response-times' | 'sla' | 'heatmap' | 'trends' | 'top-entities';

/** The query string of one /api/insight route for these parameters (`csv`: `format=csv`). */
export function insightQuery(q: InsightQuery, p: InsightParams, csv = false): URLSearchParams {
  const s = new URLSearchParams();
  if (q === 'trends') {
    s.set('weeks', String(p.weeks));
    s.set('tz', p.tz);
  } else {
    s.set('from', String(p.range.from));
    s.set('to', String(p.range.to));
    if (q === 'top-entities') {
      s.set('kind', p.kind);
      s.set('limit', '10');
    } else s.set('tz', p.tz);
    if (q === 'response-times' || q === 'sla') s.set('by', p.by);
  }
  if (csv) s.set('format', 'csv');
  return s;
}

/** "4 min 10 s" style for the charts' tables (null: no value). Minutes with one decimal on axes. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

export function formatPercent(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(1)} %`;
}

/** The unit a chart of durations reads in: seconds, minutes or hours, by the largest value. */
export type DurationUnit = { name: 'seconds' | 'minutes' | 'hours'; short: 's' | 'min' | 'h'; ms: number };

/**
 * The unit for durations up to `maxMs`: seconds under 2 minutes, minutes under 3 hours, hours
 * beyond, so the largest bar reads between about 2 and 180 and a reaction of seconds is not drawn
 * as a bar of 0.0 minutes.
 */
export function durationUnit(maxMs: number): DurationUnit {
  if (!(maxMs >= 120_000)) return { name: 'seconds', short: 's', ms: 1000 };
  if (maxMs < 3 * 3_600_000) return { name: 'minutes', short: 'min', ms: 60_000 };
  return { name: 'hours', short: 'h', ms: 3_600_000 };
}

/** `ms` in `unit`, to 3 significant digits (null stays null: no bar). */
export function inUnit(ms: number | null, unit: DurationUnit): number | null {
  return ms === null ? null : Number((ms / unit.ms).toPrecision(3));
}

/**
 * Grouped bars on one uPlot x axis: group `i`'s series `j` sits at x = i·(n+1)+j, every other
 * series is null there (uPlot skips nulls), so each group reads as n bars side by side with a gap.
 * Returns the aligned data and, per x, the group it belongs to (for the axis labels).
 */
export function groupedBars(groups: readonly (number | null)[][]): {
  data: [number[], ...(number | null)[][]];
  centers: number[];
} {
  const n = groups[0]?.length ?? 0;
  const xs: number[] = [];
  const series: (number | null)[][] = Array.from({ length: n }, () => []);
  const centers: number[] = [];
  groups.forEach((values, i) => {
    for (let j = 0; j < n; j++) {
      xs.push(i * (n + 1) + j);
      for (let k = 0; k < n; k++) series[k]!.push(k === j ? (values[j] ?? null) : null);
    }
    centers.push(i * (n + 1) + (n - 1) / 2);
  });
  return { data: [xs, ...series], centers };
}

/** Intensity steps of the heatmap (0 = none; 1–5 by share of the busiest cell). */
export const HEAT_LEVELS = 5;
export function heatLevel(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0;
  return Math.min(HEAT_LEVELS, Math.max(1, Math.ceil((count / max) * HEAT_LEVELS)));
}

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/**
 * Calls `run` when `poke` was called, at most once per `everyMs` (the first at once, the rest at
 * the end of the window), and never while `hidden()`: pokes then wait until `resume()`.
 */
export function makeThrottle(opts: {
  run: () => void;
  everyMs: number;
  hidden: () => boolean;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}) {
  const now = opts.now ?? Date.now;
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let last = Number.NEGATIVE_INFINITY;
  let pending = false;
  let timer: unknown;
  const fire = () => {
    timer = undefined;
    if (!pending || opts.hidden()) return;
    pending = false;
    last = now();
    opts.run();
  };
  return {
    poke() {
      pending = true;
      if (opts.hidden() || timer !== undefined) return;
      const wait = last + opts.everyMs - now();
      if (wait <= 0) fire();
      else timer = setTimer(fire, wait);
    },
    /** The tab is visible again: run what waited (within the same throttle). */
    resume() {
      if (pending && timer === undefined) {
        pending = false;
        this.poke();
      }
    },
    /** A run happened for another reason (parameters changed): counts as the window's run. */
    ran() {
      pending = false;
      last = now();
    },
    stop() {
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
      pending = false;
    },
  };
}
