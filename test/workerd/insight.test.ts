/**
 * /api/insight and /api/sla against a seeded fixture (docs/insight.md). Events and workflow
 * changes go through the write path the API uses (the events row, then its event_history entry,
 * with migrations/0010_insight.sql's triggers keeping the rollups) at chosen times, plus one
 * event through POST and PATCH; the true values are computed here in plain TypeScript from the
 * fixture's own list, never with the rollups' SQL.
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../protocol/enums.ts';
import { api, apiAs, postEvents, token, uid, type ApiErrorBody } from './helpers.ts';

const TZ = 'Europe/Amsterdam';
const H = 3_600_000;
// Two weeks around the end of summer time in Amsterdam (Sunday 2026-10-25, 03:00 CEST → 02:00 CET).
const FROM = Date.UTC(2026, 9, 19, 0); // Monday 2026-10-19 00:00 UTC
const TO = Date.UTC(2026, 10, 2, 0);
const TYPES = ['GateIn', 'ReeferAlarm', 'CraneFault'];
const CREW = ['ana', 'bo', 'cy'];
const SHIFTS = [
  { name: 'Early', start: '06:00' },
  { name: 'Late', start: '14:00' },
  { name: 'Night', start: '22:00' },
];
const TARGETS = [
  { severity: 'Critical', category: null, ackMinutes: 5, resolveMinutes: 60 },
  { severity: 'Critical', category: 'Container', ackMinutes: 2, resolveMinutes: 30 },
  { severity: 'High', category: null, ackMinutes: 15, resolveMinutes: 240 },
  { severity: 'Medium', category: null, ackMinutes: 60, resolveMinutes: 1440 },
  { severity: 'Low', category: null, ackMinutes: 240, resolveMinutes: 4320 },
];

type Fx = {
  id: string;
  category: Category;
  severity: Severity;
  eventType: string;
  receivedAt: number;
  berth: string | null;
  crane: string | null;
  ack?: { at: number; assignee: string | null };
  resolve?: { at: number; assignee: string | null };
};

// A small deterministic generator (mulberry32): the fixture is the same every run.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(15);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const run = uid('ins');
const fixture: Fx[] = [];
for (let i = 0; i < 400; i++) {
  const receivedAt = FROM + Math.floor(r() * (TO - FROM));
  const e: Fx = {
    id: `${run}-${i}`,
    category: pick(CATEGORIES),
    severity: pick(SEVERITIES),
    eventType: pick(TYPES),
    receivedAt,
    berth: r() < 0.6 ? `B${1 + Math.floor(r() * 5)}` : null,
    crane: r() < 0.4 ? `QC-${1 + Math.floor(r() * 4)}` : null,
  };
  if (r() < 0.8) {
    // Durations from 200 ms to ~10 h on a log scale: below 1 s, around targets, far past them.
    const ackMs = Math.floor(200 * Math.exp(r() * 12));
    e.ack = { at: receivedAt + ackMs, assignee: r() < 0.7 ? pick(CREW) : null };
    if (r() < 0.7)
      e.resolve = {
        at: e.ack.at + Math.floor(1000 * Math.exp(r() * 10)),
        assignee: r() < 0.5 ? pick(CREW) : e.ack.assignee,
      };
  }
  fixture.push(e);
}
// The repeated hour: 00:30 and 01:30 UTC on 2026-10-25 are both 02:30 local (CEST, then CET).
for (const at of [Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)])
  fixture.push({
    id: `${run}-dst-${at}`,
    category: 'System',
    severity: 'Low',
    eventType: 'Heartbeat',
    receivedAt: at,
    berth: null,
    crane: null,
  });

async function seed(e: Fx): Promise<void> {
  const doc = { id: e.id, category: e.category, severity: e.severity, eventData: e.crane ? { craneId: e.crane } : {} };
  await env.DB.prepare(
    `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, event_time, received_at, updated_at,
      berth_id, assigned_to, doc) VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE category = ?2), ?3, ?3, 'New', ?4, 't', ?5, ?5, ?5, ?6, NULL, ?7)`,
  )
    .bind(e.id, e.category, e.severity, e.eventType, e.receivedAt, e.berth, JSON.stringify(doc))
    .run();
  // As replaceEvent does: the row moves to the room's next seq first, then its history entry is written.
  const change = async (at: number, from: string, to: string, assignee: string | null) => {
    const row = await env.DB.prepare(
      `UPDATE events SET status = ?2, assigned_to = ?3, seq = (SELECT MAX(seq) + 1 FROM events WHERE category = ?4)
       WHERE id = ?1 RETURNING seq`,
    )
      .bind(e.id, to, assignee, e.category)
      .first<{ seq: number }>();
    await env.DB.prepare(
      `INSERT INTO event_history (event_id, seq, at, actor, action, from_status, to_status) VALUES (?1, ?2, ?3, 'fx', 'x', ?4, ?5)`,
    )
      .bind(e.id, row!.seq, at, from, to)
      .run();
  };
  if (e.ack) await change(e.ack.at, 'New', 'Acknowledged', e.ack.assignee);
  if (e.resolve && e.ack) {
    await change(e.resolve.at, 'Acknowledged', 'Resolved', e.resolve.assignee);
    // Reopened and resolved again later: only the first resolve counts.
    if (e.id.endsWith('7')) {
      await change(e.resolve.at + 1000, 'Resolved', 'Acknowledged', e.resolve.assignee);
      await change(e.resolve.at + 9 * H, 'Acknowledged', 'Resolved', e.resolve.assignee);
    }
  }
}

// --- the true values, independently -------------------------------------------------------------
const local = (ms: number) => {
  const parts: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ,
    weekday: 'long',
    hour: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(ms))
    parts[p.type] = p.value;
  const weekday = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].indexOf(
    parts.weekday!,
  );
  return { weekday, hour: Number(parts.hour) };
};
const shiftOf = (ms: number) => {
  const h = local(ms).hour;
  return h >= 6 && h < 14 ? 'Early' : h >= 14 && h < 22 ? 'Late' : 'Night';
};
const keyOf = (e: Fx, by: string, assignee: string | null) =>
  by === 'category'
    ? e.category
    : by === 'severity'
      ? e.severity
      : by === 'eventType'
        ? e.eventType
        : by === 'assignee'
          ? (assignee ?? '')
          : shiftOf(e.receivedAt);
const target = (e: Fx) =>
  TARGETS.find((t) => t.severity === e.severity && t.category === e.category) ??
  TARGETS.find((t) => t.severity === e.severity && t.category === null)!;
const rank = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!;
// The precision of the coarse buckets the queries read (docs/insight.md): a bucket spans a factor
// 1.05^5 and stands for its geometric midpoint.
const COARSE_ERROR = 1.05 ** 2.5 - 1;
const expectClose = (got: number | null, want: number) => {
  expect(got).not.toBeNull();
  if (want < 1000) expect(Math.abs(got! - want)).toBeLessThan(1000);
  else expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(COARSE_ERROR);
};

type Summary = { count: number; meanMs: number | null; medianMs: number | null; p90Ms: number | null };
type RtRow = { key: string; ack: Summary; resolve: Summary };
type SlaRow = {
  key: string;
  ack: { met: number; breached: number; compliance: number | null };
  resolve: SlaRow['ack'];
};

const q = `from=${FROM}&to=${TO}&tz=${encodeURIComponent(TZ)}`;

beforeAll(async () => {
  const put = await api('/api/sla', {
    method: 'PUT',
    role: 'admin',
    body: JSON.stringify({ targets: TARGETS, timeZone: TZ, shifts: SHIFTS }),
  });
  expect(put.status).toBe(200);
  for (const e of fixture) await seed(e);
}, 120_000);

type Scope = { categories?: readonly Category[]; category?: Category; severity?: Severity };
type Dimension = 'category' | 'severity' | 'eventType' | 'assignee' | 'shift';

/** The true groups of a query, from the fixture: an event counts when its hour starts in [from, to). */
function truth(by: Dimension, from: number, to: number, o: Scope) {
  const groups = new Map<string, { ack: number[]; resolve: number[]; ackMet: number; resolveMet: number }>();
  const g = (k: string) => {
    if (!groups.has(k)) groups.set(k, { ack: [], resolve: [], ackMet: 0, resolveMet: 0 });
    return groups.get(k)!;
  };
  for (const e of fixture) {
    const hour = Math.floor(e.receivedAt / H) * H;
    if (hour < from || hour >= to) continue;
    if (o.categories && !o.categories.includes(e.category)) continue;
    if (o.category && e.category !== o.category) continue;
    if (o.severity && e.severity !== o.severity) continue;
    if (e.ack) {
      const d = e.ack.at - e.receivedAt;
      const x = g(keyOf(e, by, e.ack.assignee));
      x.ack.push(d);
      if (d <= target(e).ackMinutes * 60000) x.ackMet++;
    }
    if (e.resolve) {
      const d = e.resolve.at - e.receivedAt;
      const x = g(keyOf(e, by, e.resolve.assignee));
      x.resolve.push(d);
      if (d <= target(e).resolveMinutes * 60000) x.resolveMet++;
    }
  }
  return groups;
}

/** response-times and sla for the range and scope against the truth: counts, exact means and compliance, percentiles within the bucket. */
async function expectTrue(by: Dimension, from: number, to: number, o: Scope = {}) {
  const params = `from=${from}&to=${to}&tz=${encodeURIComponent(TZ)}&by=${by}${o.category ? `&category=${o.category}` : ''}${o.severity ? `&severity=${o.severity}` : ''}`;
  const bearer = await token('viewer', 'insight-range', o.categories ? { categories: [...o.categories] } : {});
  const rt = (await fetchJson(`/api/insight/response-times?${params}`, bearer)) as { rows: RtRow[] };
  const sla = (await fetchJson(`/api/insight/sla?${params}`, bearer)) as { rows: SlaRow[] };
  const groups = truth(by, from, to, o);
  const label = `${by} ${new Date(from).toISOString()} – ${new Date(to).toISOString()} ${JSON.stringify(o)}`;
  expect(rt.rows.map((x) => x.key).sort(), label).toEqual([...groups.keys()].sort());
  expect(sla.rows.map((x) => x.key).sort(), label).toEqual([...groups.keys()].sort());
  for (const row of rt.rows) {
    const want = groups.get(row.key)!;
    for (const kind of ['ack', 'resolve'] as const) {
      const xs = want[kind];
      expect(row[kind].count, label).toBe(xs.length);
      if (xs.length === 0) continue;
      expect(row[kind].meanMs).toBeCloseTo(xs.reduce((s, x) => s + x, 0) / xs.length, 3);
      expectClose(row[kind].medianMs, rank(xs, 0.5));
      expectClose(row[kind].p90Ms, rank(xs, 0.9));
    }
  }
  for (const row of sla.rows) {
    const want = groups.get(row.key)!;
    expect(row.ack, label).toEqual({
      met: want.ackMet,
      breached: want.ack.length - want.ackMet,
      compliance: want.ack.length ? want.ackMet / want.ack.length : null,
    });
    expect(row.resolve.met, label).toBe(want.resolveMet);
    expect(row.resolve.breached, label).toBe(want.resolve.length - want.resolveMet);
  }
}

const DIMENSIONS = ['category', 'severity', 'eventType', 'assignee', 'shift'] as const;

describe('insight > response times and SLA compliance', () => {
  for (const by of DIMENSIONS) {
    it(`by ${by}: count, mean, median and p90 of ack and resolve; met and breached`, async () => {
      await expectTrue(by, FROM, TO);
    });
  }

  // Whole UTC days are read from the daily rollups, partial days from the hourly one.
  const RANGES = {
    'partial first and last day': [FROM + 2 * 24 * H + 5 * H + 20 * 60000, TO - 3 * 24 * H - 7 * H - 40 * 60000],
    'inside one day': [Date.UTC(2026, 9, 21, 3, 20), Date.UTC(2026, 9, 21, 17)],
    'one whole day from midnight to midnight': [Date.UTC(2026, 9, 22), Date.UTC(2026, 9, 23)],
    'across the end of summer time in Amsterdam (2026-10-25)': [
      Date.UTC(2026, 9, 24, 9, 15),
      Date.UTC(2026, 9, 26, 4, 45),
    ],
  } as const;
  for (const [name, [from, to]] of Object.entries(RANGES))
    it(`a range ${name}: every dimension, all categories, a scoped token, a category and a severity`, async () => {
      for (const by of DIMENSIONS) {
        await expectTrue(by, from, to);
        await expectTrue(by, from, to, { categories: ['Container', 'Ship'] });
        await expectTrue(by, from, to, { category: 'Berth' });
        await expectTrue(by, from, to, { severity: 'High' });
      }
    });

  it('any range, dimension, scope and severity answers the truth (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: (FROM - 24 * H) / 60000, max: TO / 60000 }),
        fc.integer({ min: 1, max: 17 * 24 * 60 }),
        fc.constantFrom(...DIMENSIONS),
        fc.option(fc.subarray([...CATEGORIES], { minLength: 1 }), { nil: undefined }),
        fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
        fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }),
        async (fromMinute, minutes, by, categories, category, severity) => {
          const o: Scope = {
            ...(categories ? { categories } : {}),
            ...(category ? { category } : {}),
            ...(severity ? { severity } : {}),
          };
          await expectTrue(by, fromMinute * 60000, (fromMinute + minutes) * 60000, o);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('filters by category and severity', async () => {
    const rt = (await (
      await api(`/api/insight/response-times?${q}&by=eventType&category=Ship&severity=High`, { role: 'viewer' })
    ).json()) as {
      rows: RtRow[];
    };
    const acks = fixture.filter((e) => e.category === 'Ship' && e.severity === 'High' && e.ack).length;
    expect(rt.rows.reduce((s, x) => s + x.ack.count, 0)).toBe(acks);
  });

  it('keeps history judged by the targets in force then when the targets change', async () => {
    const before = await (await api(`/api/insight/sla?${q}&by=severity`, { role: 'viewer' })).text();
    const strict = TARGETS.map((t) => ({ ...t, ackMinutes: 1, resolveMinutes: 1 }));
    const put = await api('/api/sla', {
      method: 'PUT',
      role: 'admin',
      body: JSON.stringify({ targets: strict, timeZone: TZ, shifts: SHIFTS }),
    });
    expect(put.status).toBe(200);
    expect(await (await api(`/api/insight/sla?${q}&by=severity`, { role: 'viewer' })).text()).toBe(before);
    await api('/api/sla', {
      method: 'PUT',
      role: 'admin',
      body: JSON.stringify({ targets: TARGETS, timeZone: TZ, shifts: SHIFTS }),
    });
  });

  it('counts open events past their target (openBreached) from the events table', async () => {
    const sla = (await (await api(`/api/insight/sla?${q}`, { role: 'viewer' })).json()) as {
      openBreached: { ack: number; resolve: number };
    };
    // The fixture is weeks old: every one still open is past every target.
    expect(sla.openBreached).toEqual({
      ack: fixture.filter((e) => !e.ack).length,
      resolve: fixture.filter((e) => !e.resolve).length,
    });
    // Partial first and last day and hour: whole days, whole hours and index counts together.
    const [from, to] = [FROM + 2 * 24 * H + 5 * H + 20 * 60000, TO - 3 * 24 * H - 7 * H - 40 * 60000];
    const part = (await (await api(`/api/insight/sla?from=${from}&to=${to}`, { role: 'viewer' })).json()) as {
      openBreached: { ack: number; resolve: number };
    };
    const inRange = fixture.filter((e) => e.receivedAt >= from && e.receivedAt < to);
    expect(part.openBreached).toEqual({
      ack: inRange.filter((e) => !e.ack).length,
      resolve: inRange.filter((e) => !e.resolve).length,
    });
  });

  it('counts open events past their target over partial hours at both ends, after a tombstone, a delete and a severity change', async () => {
    const now = Date.now();
    // Every 6 min 17 s back from now: never within seconds of a whole-minute target's boundary.
    const recent: Fx[] = Array.from({ length: 60 }, (_, k) => {
      const receivedAt = now - k * 6 * 60000 - 17_000;
      const e: Fx = {
        id: `${run}-open-${k}`,
        category: CATEGORIES[k % CATEGORIES.length]!,
        severity: SEVERITIES[k % SEVERITIES.length]!,
        eventType: 'OpenCheck',
        receivedAt,
        berth: null,
        crane: null,
      };
      if (k % 3 === 1 || k % 7 === 0) e.ack = { at: receivedAt + 1000, assignee: null };
      if (k % 7 === 0) e.resolve = { at: receivedAt + 2000, assignee: null };
      return e;
    });
    for (const e of recent) await seed(e);
    // Hours past, so inside the whole hours the rollup answers for (an acknowledged Medium one for the change).
    await env.DB.prepare('UPDATE events SET deleted = 1 WHERE id = ?1').bind(recent[29]!.id).run();
    await env.DB.prepare('DELETE FROM events WHERE id = ?1').bind(recent[26]!.id).run();
    await env.DB.prepare("UPDATE events SET severity = 'Critical' WHERE id = ?1").bind(recent[22]!.id).run();
    recent[22]!.severity = 'Critical';
    const open = recent.filter((_, k) => k !== 29 && k !== 26);
    const want = (from: number, to: number, o: Scope) => {
      const xs = open.filter(
        (e) =>
          e.receivedAt >= from &&
          e.receivedAt < to &&
          (!o.categories || o.categories.includes(e.category)) &&
          (!o.severity || e.severity === o.severity),
      );
      return {
        ack: xs.filter((e) => !e.ack && e.receivedAt < now - target(e).ackMinutes * 60000).length,
        resolve: xs.filter((e) => !e.resolve && e.receivedAt < now - target(e).resolveMinutes * 60000).length,
      };
    };
    for (const [from, to] of [
      [now - 5 * H - 43 * 60000, now - 2 * 60000],
      [now - 3 * H - 1000, now + H],
      [now - 50 * 60000, now - 20 * 60000],
    ] as const)
      for (const o of [{}, { categories: ['Container', 'Ship'] }, { severity: 'High' }] as Scope[]) {
        const bearer = await token('viewer', 'insight-open', o.categories ? { categories: [...o.categories] } : {});
        const sla = (await fetchJson(
          `/api/insight/sla?from=${from}&to=${to}${o.severity ? `&severity=${o.severity}` : ''}`,
          bearer,
        )) as { openBreached: { ack: number; resolve: number } };
        expect(sla.openBreached, `${from}–${to} ${JSON.stringify(o)}`).toEqual(want(from, to, o));
      }
    // Settled so the live test below finds the current hour as it was.
    for (const e of open) await env.DB.prepare("UPDATE events SET status = 'Closed' WHERE id = ?1").bind(e.id).run();
  });

  it('shifts across midnight: an hour of 23:00 and one of 05:00 local are both Night', async () => {
    const rt = (await (await api(`/api/insight/response-times?${q}&by=shift`, { role: 'viewer' })).json()) as {
      rows: RtRow[];
    };
    const night = fixture.filter((e) => e.ack && [22, 23, 0, 1, 2, 3, 4, 5].includes(local(e.receivedAt).hour)).length;
    expect(rt.rows.find((x) => x.key === 'Night')?.ack.count).toBe(night);
  });
});

describe('insight > heatmap, trends, top entities', () => {
  it('heatmap: weekday × hour in the time zone, the repeated DST hour counted twice in 02:00', async () => {
    const res = (await (await api(`/api/insight/heatmap?${q}`, { role: 'viewer' })).json()) as {
      categories: Record<string, number[][]>;
    };
    const want: Record<string, number[][]> = Object.fromEntries(
      CATEGORIES.map((c) => [c, Array.from({ length: 7 }, () => new Array(24).fill(0))]),
    );
    for (const e of fixture) {
      const l = local(e.receivedAt);
      want[e.category]![l.weekday]![l.hour]! += 1;
    }
    expect(res.categories).toEqual(want);
    expect(res.categories.System![6]![2]).toBeGreaterThanOrEqual(2);
  });

  it('trends: weeks from Monday 00:00 local, per category and severity', async () => {
    const weeks = Math.min(52, Math.ceil((Date.now() - FROM) / (7 * 24 * H)) + 1);
    const res = (await (
      await api(`/api/insight/trends?weeks=${weeks}&tz=${encodeURIComponent(TZ)}`, { role: 'viewer' })
    ).json()) as {
      weeks: { start: string; counts: Record<string, Record<string, number>> }[];
    };
    expect(res.weeks).toHaveLength(weeks);
    // 2026-10-19 and 2026-10-26 are Mondays; the second week starts at 00:00 CET (23:00 UTC on the 25th).
    const mondayOf = (ms: number) => {
      const d = new Date(new Date(ms).toLocaleString('en-US', { timeZone: TZ }));
      d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    for (const start of ['2026-10-12', '2026-10-19', '2026-10-26', '2026-11-02']) {
      const week = res.weeks.find((w) => w.start === start)!;
      expect(week).toBeDefined();
      for (const c of CATEGORIES)
        for (const s of SEVERITIES)
          expect(week.counts[c]![s], `${start} ${c} ${s}`).toBe(
            fixture.filter((e) => e.category === c && e.severity === s && mondayOf(e.receivedAt) === start).length,
          );
    }
  });

  it('top entities: berths and cranes by count, critical ones counted', async () => {
    for (const kind of ['berth', 'crane'] as const) {
      const res = (await (
        await api(`/api/insight/top-entities?kind=${kind}&from=${FROM}&to=${TO}&limit=3`, { role: 'viewer' })
      ).json()) as {
        rows: { id: string; count: number; critical: number }[];
      };
      const counts = new Map<string, { count: number; critical: number }>();
      for (const e of fixture) {
        const id = kind === 'berth' ? e.berth : e.crane;
        if (!id) continue;
        const c = counts.get(id) ?? { count: 0, critical: 0 };
        c.count++;
        if (e.severity === 'Critical') c.critical++;
        counts.set(id, c);
      }
      const want = [...counts.entries()]
        .map(([id, c]) => ({ id, ...c }))
        .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1))
        .slice(0, 3);
      expect(res.rows).toEqual(want);
    }
  });

  it('answers CSV with format=csv', async () => {
    const res = await api(`/api/insight/top-entities?kind=berth&from=${FROM}&to=${TO}&format=csv`, { role: 'viewer' });
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await res.text()).split('\r\n')[0]).toBe('id,count,critical');
    const rt = await (await api(`/api/insight/response-times?${q}&by=severity&format=csv`, { role: 'viewer' })).text();
    expect(rt.split('\r\n').filter(Boolean)).toHaveLength(1 + SEVERITIES.length);
  });

  it('a scoped token sees its categories only', async () => {
    const res = await apiAs('viewer', 'scoped', `/api/insight/heatmap?${q}`);
    expect(res.status).toBe(200);
    const scoped = await fetchJson(
      `/api/insight/response-times?${q}&by=category`,
      await token('viewer', 'c', { categories: ['Container'] }),
    );
    expect((scoped as { rows: RtRow[] }).rows.map((x) => x.key)).toEqual(['Container']);
  });
});

async function fetchJson(path: string, bearer: string): Promise<unknown> {
  const { SELF } = await import('cloudflare:test');
  return (await SELF.fetch(`https://quaycast.test${path}`, { headers: { authorization: `Bearer ${bearer}` } })).json();
}

describe('insight > through the API, and the SLA document', () => {
  it('POST then PATCH acknowledge moves MTTA of the current hour', async () => {
    const id = uid('live');
    const now = Date.now();
    await postEvents({ id, eventType: 'LiveCheck', title: 'live', severity: 'High', category: 'Berth' });
    const live = `from=${now - H}&to=${now + H}&by=eventType&category=Berth`;
    const before = (await (await api(`/api/insight/response-times?${live}`, { role: 'viewer' })).json()) as {
      rows: RtRow[];
    };
    expect(before.rows.find((x) => x.key === 'LiveCheck')).toBeUndefined();
    const ack = await api(`/api/events/${id}`, {
      method: 'PATCH',
      role: 'operator',
      body: JSON.stringify({ action: 'acknowledge' }),
    });
    expect(ack.status).toBe(200);
    const after = (await (await api(`/api/insight/response-times?${live}`, { role: 'viewer' })).json()) as {
      rows: RtRow[];
    };
    expect(after.rows.find((x) => x.key === 'LiveCheck')?.ack.count).toBe(1);
  });

  it('GET /api/sla: defaults for every severity, who changed it and when; a viewer or operator cannot PUT', async () => {
    const doc = (await (await api('/api/sla', { role: 'viewer' })).json()) as {
      targets: { severity: string; category: null | string }[];
      updatedBy: string;
      updatedAt: number;
    };
    for (const s of SEVERITIES) expect(doc.targets.some((t) => t.severity === s && t.category === null)).toBe(true);
    expect(doc.updatedBy).toBe('admin-user');
    expect(doc.updatedAt).toBeGreaterThan(0);
    for (const role of ['viewer', 'operator'] as const) {
      const res = await api('/api/sla', {
        method: 'PUT',
        role,
        body: JSON.stringify({ targets: TARGETS, timeZone: TZ, shifts: SHIFTS }),
      });
      expect(res.status).toBe(403);
    }
    expect((await api('/api/sla')).status).toBe(401);
  });

  it('PUT refuses a document without a default per severity, a bad zone or a bad shift, naming the field', async () => {
    for (const [body, path] of [
      [{ targets: TARGETS.slice(1), timeZone: TZ, shifts: SHIFTS }, 'targets'],
      [{ targets: TARGETS, timeZone: 'Mars/Olympus', shifts: SHIFTS }, 'timeZone'],
      [{ targets: TARGETS, timeZone: TZ, shifts: [{ name: 'x', start: '24:00' }] }, 'shifts.0.start'],
    ] as const) {
      const res = await api('/api/sla', { method: 'PUT', role: 'admin', body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      const err = (await res.json()) as ApiErrorBody;
      expect((err.error.details as { path: string }[]).map((d) => d.path)).toContain(path);
    }
  });

  it('refuses bad query values with 400 naming the field', async () => {
    for (const [query, field] of [
      ['tz=Nowhere/Else', 'tz'],
      ['from=yesterday', 'from'],
      ['from=2000&to=1000', 'from'],
      ['by=moon', 'by'],
    ] as const) {
      const res = await api(`/api/insight/sla?${query}`, { role: 'viewer' });
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(await res.json())).toContain(field);
    }
  });
});
