import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEAT_LEVELS,
  fromWall,
  durationUnit,
  groupedBars,
  heatLevel,
  inUnit,
  insightQuery,
  isTimeZone,
  makeThrottle,
  rangeOf,
  startOfWeek,
  toWall,
  zoneOffset,
  type InsightParams,
} from './insight.ts';

const AMS = 'Europe/Amsterdam';

describe('web > insight > time zones', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone(AMS)).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
  it('reads wall clocks in a zone across daylight saving', () => {
    expect(toWall(Date.parse('2026-07-01T10:00:00Z'), AMS)).toBe('2026-07-01T12:00');
    expect(toWall(Date.parse('2026-12-01T10:00:00Z'), AMS)).toBe('2026-12-01T11:00');
    expect(zoneOffset(Date.parse('2026-07-01T10:00:00Z'), AMS)).toBe(7_200_000);
    expect(fromWall('2026-07-01T12:00', AMS)).toBe(Date.parse('2026-07-01T10:00:00Z'));
    expect(fromWall('2026-12-01T11:00', AMS)).toBe(Date.parse('2026-12-01T10:00:00Z'));
  });
  it('moves a time in the spring gap forward and takes the earlier of an autumn repeat', () => {
    // 2026-03-29 02:00 → 03:00 in Amsterdam; 2026-10-25 03:00 → 02:00
    expect(fromWall('2026-03-29T02:30', AMS)).toBe(Date.parse('2026-03-29T01:30:00Z'));
    expect(toWall(fromWall('2026-03-29T02:30', AMS)!, AMS)).toBe('2026-03-29T03:30');
    expect(fromWall('2026-10-25T02:30', AMS)).toBe(Date.parse('2026-10-25T00:30:00Z'));
    expect(fromWall('2026-10-25 02:30', AMS)).toBeUndefined();
  });
  it('property: an instant read as a wall clock and back names the same wall clock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2060-01-01') }),
        fc.constantFrom(AMS, 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'),
        (ms, tz) => {
          const wall = toWall(ms, tz);
          const back = fromWall(wall, tz)!;
          expect(toWall(back, tz)).toBe(wall);
          // the same minute, or the other reading of an ambiguous one
          expect(Math.abs(back - (ms - (ms % 60_000)))).toBeLessThanOrEqual(3_600_000);
        },
      ),
    );
  });
  it('starts weeks on Monday 00:00 in the zone', () => {
    // Wednesday 2026-12-02 00:30 Amsterdam = Tuesday 23:30 UTC
    const t = Date.parse('2026-12-01T23:30:00Z');
    expect(startOfWeek(t, AMS)).toBe(Date.parse('2026-11-29T23:00:00Z'));
    expect(startOfWeek(t, 'UTC')).toBe(Date.parse('2026-11-30T00:00:00Z'));
    // Monday 2026-03-30, the first after the spring change: +02:00
    expect(startOfWeek(Date.parse('2026-04-01T12:00:00Z'), AMS)).toBe(Date.parse('2026-03-29T22:00:00Z'));
  });
});

describe('web > insight > ranges and queries', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  it('turns presets and custom wall times into [from, to)', () => {
    expect(rangeOf('24h', now, AMS)).toEqual({ from: now - 86_400_000, to: now });
    expect(rangeOf('7d', now, AMS)!.from).toBe(now - 7 * 86_400_000);
    expect(rangeOf('week', now, AMS)).toEqual({ from: Date.parse('2026-11-29T23:00:00Z'), to: now });
    expect(rangeOf('custom', now, AMS, { from: '2026-11-01T00:00', to: '2026-11-02T00:00' })).toEqual({
      from: Date.parse('2026-10-31T23:00:00Z'),
      to: Date.parse('2026-11-01T23:00:00Z'),
    });
    expect(rangeOf('custom', now, AMS, { from: '2026-11-02T00:00', to: '2026-11-01T00:00' })).toBeUndefined();
    expect(rangeOf('custom', now, AMS, { from: '', to: '2026-11-01T00:00' })).toBeUndefined();
  });
  it('builds each route’s query, with format=csv for the download', () => {
    const p: InsightParams = { range: { from: 1, to: 2 }, tz: AMS, by: 'shift', kind: 'berth', weeks: 8 };
    expect(String(insightQuery('response-times', p))).toBe('from=1&to=2&tz=Europe%2FAmsterdam&by=shift');
    expect(String(insightQuery('sla', p, true))).toBe('from=1&to=2&tz=Europe%2FAmsterdam&by=shift&format=csv');
    expect(String(insightQuery('heatmap', p))).toBe('from=1&to=2&tz=Europe%2FAmsterdam');
    expect(String(insightQuery('trends', p))).toBe('weeks=8&tz=Europe%2FAmsterdam');
    expect(String(insightQuery('top-entities', p))).toBe('from=1&to=2&kind=berth&limit=10');
  });
});

describe('web > insight > chart data', () => {
  it('lays grouped bars side by side with a gap, nulls elsewhere', () => {
    const { data, centers } = groupedBars([
      [1, 2],
      [3, null],
    ]);
    expect(data).toEqual([
      [0, 1, 3, 4],
      [1, null, 3, null],
      [null, 2, null, null],
    ]);
    expect(centers).toEqual([0.5, 3.5]);
  });
  it('property: every value appears once, at its group and series', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.array(fc.array(fc.option(fc.integer(), { nil: null }), { minLength: n, maxLength: n }), {
            maxLength: 20,
          }),
        ),
        (groups) => {
          const { data } = groupedBars(groups);
          const n = groups[0]?.length ?? 0;
          for (const [s, col] of data.slice(1).entries())
            for (const [i, v] of col.entries()) {
              const x = data[0][i]!;
              expect(v).toBe(x % (n + 1) === s ? (groups[Math.floor(x / (n + 1))]![s] ?? null) : null);
            }
          expect(data[0]).toHaveLength(groups.length * n);
        },
      ),
    );
  });
  it('property: heat levels are 0 only for empty cells, 5 for the busiest, monotonic', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.integer({ min: 1, max: 1000 }), (a, b, max) => {
        const [lo, hi] = [Math.min(a, b, max), Math.min(Math.max(a, b), max)];
        expect(heatLevel(lo, max)).toBeLessThanOrEqual(heatLevel(hi, max));
        expect(heatLevel(max, max)).toBe(HEAT_LEVELS);
        expect(heatLevel(lo, max) === 0).toBe(lo === 0);
      }),
    );
  });
});

describe('web > insight > makeThrottle', () => {
  function harness() {
    let t = 0;
    const timers: { at: number; fn: () => void }[] = [];
    let hidden = false;
    let runs = 0;
    const th = makeThrottle({
      run: () => runs++,
      everyMs: 2000,
      hidden: () => hidden,
      now: () => t,
      setTimer: (fn, ms) => {
        const x = { at: t + ms, fn };
        timers.push(x);
        return x;
      },
      clearTimer: (x) => timers.splice(timers.indexOf(x as never), 1),
    });
    const advance = (ms: number) => {
      t += ms;
      for (const x of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(x), 1);
        x.fn();
      }
    };
    return {
      th,
      advance,
      runs: () => runs,
      hide: (h: boolean) => {
        hidden = h;
      },
    };
  }
  it('runs the first change at once and the rest at most once per window', () => {
    const h = harness();
    h.th.poke();
    expect(h.runs()).toBe(1);
    for (let i = 0; i < 50; i++) {
      h.advance(30);
      h.th.poke();
    }
    expect(h.runs()).toBe(1);
    h.advance(2000);
    expect(h.runs()).toBe(2);
    h.advance(10_000);
    expect(h.runs()).toBe(2);
  });
  it('does nothing while hidden and catches up once visible', () => {
    const h = harness();
    h.hide(true);
    h.th.poke();
    h.advance(10_000);
    expect(h.runs()).toBe(0);
    h.hide(false);
    h.th.resume();
    expect(h.runs()).toBe(1);
    h.th.resume();
    expect(h.runs()).toBe(1);
  });
  it('property: over any pokes, runs are ≥ 2 s apart and the last poke is always served', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), (gaps) => {
        let t = 0;
        const timers: { at: number; fn: () => void }[] = [];
        const at: number[] = [];
        let lastPoke = 0;
        const th = makeThrottle({
          run: () => at.push(t),
          everyMs: 2000,
          hidden: () => false,
          now: () => t,
          setTimer: (fn, ms) => timers.push({ at: t + ms, fn }),
        });
        const until = (end: number) => {
          for (;;) {
            timers.sort((a, b) => a.at - b.at);
            const next = timers[0];
            if (!next || next.at > end) break;
            timers.shift();
            t = next.at;
            next.fn();
          }
          t = end;
        };
        for (const g of gaps) {
          until(t + g);
          lastPoke = t;
          th.poke();
        }
        until(t + 10_000);
        for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(2000);
        expect(at[at.length - 1]).toBeGreaterThanOrEqual(lastPoke);
      }),
    );
  });
});

describe('web > insight chart units', () => {
  it.each<[number, string]>([
    [0, 'seconds'],
    [5_000, 'seconds'],
    [119_999, 'seconds'],
    [120_000, 'minutes'],
    [3 * 3_600_000 - 1, 'minutes'],
    [3 * 3_600_000, 'hours'],
    [Number.NaN, 'seconds'],
  ])('reads a largest value of %d ms in %s', (max, name) => {
    expect(durationUnit(max).name).toBe(name);
  });

  it('regression: a reaction of seconds is a visible bar, not 0.0 minutes', () => {
    const unit = durationUnit(8_000);
    expect(inUnit(4_200, unit)).toBe(4.2);
    expect(inUnit(null, unit)).toBeNull();
  });

  it('property: the largest value reads between 1 and 180 in its unit (from 1 s up), and to 3 significant digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 400 * 86_400_000 }), (max) => {
        const v = inUnit(max, durationUnit(max))!;
        expect(v).toBeGreaterThanOrEqual(1);
        if (durationUnit(max).name !== 'hours') expect(v).toBeLessThanOrEqual(180);
        expect(Math.abs(v - max / durationUnit(max).ms) / (max / durationUnit(max).ms)).toBeLessThan(0.005);
      }),
    );
  });
});
