/**
 * GET /api/insight/* (response times, SLA compliance, heatmap, trends, top entities) and
 * GET/PUT /api/sla: docs/insight.md. Read from the rollups of migrations/0010_insight.sql,
 * 0013_insight_rollups.sql and 0014_insight_open.sql.
 * Deviation from /work/notes/insight-contract.md: none in shape; ranges resolve to whole UTC
 * hours (an hour counts when it starts in [from, to)), and an unassigned event's assignee key is "".
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CATEGORIES, SEVERITIES, type Category } from '../../protocol/enums.ts';
import {
  DAY_MS,
  HOUR_MS,
  addDays,
  mondayOf,
  shiftAt,
  summarize,
  targetFor,
  wallClock,
  type Heatmap,
  type InsightDimension,
  type ResponseRow,
  type ResponseTimes,
  type SlaDocument,
  type SlaReport,
  type SlaRow,
  type TopEntities,
  type Trends,
} from '../../protocol/insight.ts';
import {
  ByQuerySchema,
  HeatmapQuerySchema,
  SlaInputSchema,
  TopQuerySchema,
  TrendsQuerySchema,
} from '../../protocol/schemas/insight.ts';
import { allowedCategories } from '../../protocol/scope.ts';
import { csvRow } from '../csv.ts';
import { createDb, type Db } from '../db/client.ts';
import {
  openBreached,
  readSla,
  responseBins,
  shiftBins,
  topEntities,
  volumeByHour,
  writeSla,
  type Filter,
} from '../db/insight.ts';
import { apiError } from '../errors.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { AppEnv } from '../types.ts';
import { PEOPLE, errors } from './openapi.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema }, 'text/csv': { schema: z.string() } });
const SummarySchema = z.object({
  count: z.number().int(),
  meanMs: z.number().nullable(),
  medianMs: z.number().nullable(),
  p90Ms: z.number().nullable(),
});
const ComplianceSchema = z.object({
  met: z.number().int(),
  breached: z.number().int(),
  compliance: z.number().nullable(),
});
const SlaDocumentSchema = z.object({
  targets: z.array(
    z.object({
      severity: z.enum(SEVERITIES),
      category: z.enum(CATEGORIES).nullable(),
      ackMinutes: z.number().int(),
      resolveMinutes: z.number().int(),
    }),
  ),
  timeZone: z.string(),
  shifts: z.array(z.object({ name: z.string(), start: z.string() })),
  updatedAt: z.number().int().nullable(),
  updatedBy: z.string().nullable(),
});
const range = { from: z.number().int(), to: z.number().int() };
const dims = { timeZone: z.string(), by: z.string() };

/** ms since the epoch of a `from`/`to` value (the schema allowed only the two forms); 400 naming the field otherwise. */
function instant(field: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15)
    apiError(400, 'invalid_request', '1 invalid field', [{ path: field, message: 'is not a valid time' }]);
  return ms;
}

function rangeOf(q: { from?: string; to?: string }, now: number) {
  const to = instant('to', q.to, now);
  const from = instant('from', q.from, to - 7 * DAY_MS);
  if (from >= to) apiError(400, 'invalid_request', '1 invalid field', [{ path: 'from', message: 'is not before to' }]);
  if (to - from > 400 * DAY_MS)
    apiError(400, 'invalid_request', '1 invalid field', [{ path: 'from', message: 'ranges are at most 400 days' }]);
  return { from, to, fromHour: Math.ceil(from / HOUR_MS), toHour: Math.ceil(to / HOUR_MS) };
}

function visible(c: Context<AppEnv>, category?: Category): Category[] {
  const allowed = allowedCategories(c.get('user'));
  return category ? allowed.filter((x) => x === category) : [...allowed];
}

function csv(c: Context<AppEnv>, name: string, header: string[], rows: unknown[][]): Response {
  return c.body([csvRow(header), ...rows.map(csvRow)].join(''), 200, {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="quaycast-${name}.csv"`,
  });
}

export const sla = new OpenAPIHono<AppEnv>();

sla.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'SLA targets, the port time zone and the shifts',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    responses: {
      200: { description: 'The SLA document', content: { 'application/json': { schema: SlaDocumentSchema } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => c.json(await readSla(createDb(c.env.DB)), 200),
);

sla.openapi(
  createRoute({
    method: 'put',
    path: '/',
    summary: 'Replace the SLA document (admin)',
    description:
      'Targets apply from now on: compliance already counted keeps the targets in force when the event was acknowledged or resolved.',
    security: PEOPLE,
    middleware: [requireRole('admin')],
    request: { body: { required: true, content: { 'application/json': { schema: SlaInputSchema } } } },
    responses: {
      200: { description: 'The stored document', content: { 'application/json': { schema: SlaDocumentSchema } } },
      ...errors({ 400: 'Invalid document', 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => {
    const db = createDb(c.env.DB);
    await writeSla(db, c.req.valid('json'), c.get('user').sub, Date.now());
    return c.json(await readSla(db), 200);
  },
);

export const insight = new OpenAPIHono<AppEnv>();

const ERRORS = errors({ 400: 'Invalid query', 401: 'Missing or invalid token', 403: 'Forbidden' });

/** Bins of both kinds grouped by the dimension's key (shift: each UTC hour mapped to the shift it starts in, in `tz`). */
async function grouped(db: Db, by: InsightDimension, f: Filter, doc: SlaDocument, tz: string) {
  const bins = by === 'shift' ? await shiftBins(db, f, shiftRuns(f, doc, tz)) : await responseBins(db, by, f);
  const groups = new Map<string, typeof bins>();
  for (const b of bins) {
    const list = groups.get(b.key) ?? [];
    list.push(b);
    groups.set(b.key, list);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** The range's hours as runs [shift, fromHour, toHour) of consecutive hours in one shift. */
function shiftRuns(f: Filter, doc: SlaDocument, tz: string): [string, number, number][] {
  const runs: [string, number, number][] = [];
  for (let h = f.fromHour; h < f.toHour; h++) {
    const name = shiftAt(doc.shifts, wallClock(h * HOUR_MS, tz).minuteOfDay);
    const last = runs.at(-1);
    if (last && last[0] === name) last[2] = h + 1;
    else runs.push([name, h, h + 1]);
  }
  return runs;
}

const byRoute = (path: string, summary: string, schema: z.ZodType) =>
  createRoute({
    method: 'get',
    path,
    summary,
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: ByQuerySchema },
    responses: { 200: { description: summary, content: json(schema) }, ...ERRORS },
  });

insight.openapi(
  byRoute(
    '/response-times',
    'Time to acknowledge and to resolve (count, mean, median, p90) by a dimension',
    z.object({
      ...range,
      ...dims,
      rows: z.array(z.object({ key: z.string(), ack: SummarySchema, resolve: SummarySchema })),
    }),
  ),
  async (c) => {
    const q = c.req.valid('query');
    const db = createDb(c.env.DB);
    const doc = await readSla(db);
    const tz = q.tz ?? doc.timeZone;
    const by = q.by ?? 'category';
    const r = rangeOf(q, Date.now());
    const f: Filter = { ...r, categories: visible(c, q.category), ...(q.severity ? { severity: q.severity } : {}) };
    const rows: ResponseRow[] = (f.categories.length ? await grouped(db, by, f, doc, tz) : []).map(([key, bins]) => ({
      key,
      ack: summarize(bins.filter((b) => b.kind === 0)),
      resolve: summarize(bins.filter((b) => b.kind === 1)),
    }));
    if (q.format === 'csv')
      return csv(
        c,
        'response-times',
        [
          'key',
          'ackCount',
          'ackMeanMs',
          'ackMedianMs',
          'ackP90Ms',
          'resolveCount',
          'resolveMeanMs',
          'resolveMedianMs',
          'resolveP90Ms',
        ],
        rows.map((x) => [x.key, ...Object.values(x.ack), ...Object.values(x.resolve)]),
      );
    return c.json({ from: r.from, to: r.to, timeZone: tz, by, rows } satisfies ResponseTimes, 200);
  },
);

const compliance = (met: number, n: number) => ({ met, breached: n - met, compliance: n ? met / n : null });

insight.openapi(
  byRoute(
    '/sla',
    'SLA met and breached by a dimension, and open events past their target',
    z.object({
      ...range,
      ...dims,
      rows: z.array(z.object({ key: z.string(), ack: ComplianceSchema, resolve: ComplianceSchema })),
      openBreached: z.object({ ack: z.number().int(), resolve: z.number().int() }),
    }),
  ),
  async (c) => {
    const q = c.req.valid('query');
    const db = createDb(c.env.DB);
    const doc = await readSla(db);
    const tz = q.tz ?? doc.timeZone;
    const by = q.by ?? 'category';
    const now = Date.now();
    const r = rangeOf(q, now);
    const f: Filter = { ...r, categories: visible(c, q.category), ...(q.severity ? { severity: q.severity } : {}) };
    const rows: SlaRow[] = (f.categories.length ? await grouped(db, by, f, doc, tz) : []).map(([key, bins]) => {
      const sum = (kind: 0 | 1, k: 'n' | 'met') => bins.filter((b) => b.kind === kind).reduce((s, b) => s + b[k], 0);
      return { key, ack: compliance(sum(0, 'met'), sum(0, 'n')), resolve: compliance(sum(1, 'met'), sum(1, 'n')) };
    });
    const pairs = f.categories.flatMap((category) =>
      SEVERITIES.filter((s) => !q.severity || s === q.severity).flatMap((severity) => {
        const t = targetFor(doc.targets, severity, category);
        return t ? [{ category, severity, ackMs: t.ackMinutes * 60000, resolveMs: t.resolveMinutes * 60000 }] : [];
      }),
    );
    const open = await openBreached(db, { from: r.from, to: r.to, now, pairs });
    if (q.format === 'csv')
      return csv(
        c,
        'sla',
        ['key', 'ackMet', 'ackBreached', 'ackCompliance', 'resolveMet', 'resolveBreached', 'resolveCompliance'],
        rows.map((x) => [x.key, ...Object.values(x.ack), ...Object.values(x.resolve)]),
      );
    return c.json({ from: r.from, to: r.to, timeZone: tz, by, rows, openBreached: open } satisfies SlaReport, 200);
  },
);

insight.openapi(
  createRoute({
    method: 'get',
    path: '/heatmap',
    summary: 'Events per hour of day × day of week (row 0 = Monday) per category, in a time zone',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: HeatmapQuerySchema },
    responses: {
      200: {
        description: 'Heatmap',
        content: json(
          z.object({
            ...range,
            timeZone: z.string(),
            categories: z.record(z.string(), z.array(z.array(z.number().int()))),
          }),
        ),
      },
      ...ERRORS,
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const db = createDb(c.env.DB);
    const tz = q.tz ?? (await readSla(db)).timeZone;
    const r = rangeOf(q, Date.now());
    const cats = visible(c, q.category);
    const categories: Record<string, number[][]> = Object.fromEntries(
      cats.map((k) => [k, Array.from({ length: 7 }, () => new Array<number>(24).fill(0))]),
    );
    const rows = cats.length ? await volumeByHour(db, { ...r, categories: cats }) : [];
    const walls = new Map<number, { weekday: number; hour: number }>();
    for (const row of rows) {
      let w = walls.get(row.hour);
      if (!w) {
        w = wallClock(row.hour * HOUR_MS, tz);
        walls.set(row.hour, w);
      }
      categories[row.category]![w.weekday]![w.hour]! += row.n;
    }
    if (q.format === 'csv')
      return csv(
        c,
        'heatmap',
        ['category', 'weekday', 'hour', 'count'],
        Object.entries(categories).flatMap(([k, days]) =>
          days.flatMap((hours, d) => hours.map((n, h) => [k, d, h, n])),
        ),
      );
    return c.json({ from: r.from, to: r.to, timeZone: tz, categories } satisfies Heatmap, 200);
  },
);

insight.openapi(
  createRoute({
    method: 'get',
    path: '/trends',
    summary: 'Events per week (Monday 00:00 in the time zone) per category and severity, oldest first',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: TrendsQuerySchema },
    responses: {
      200: {
        description: 'Trends',
        content: json(
          z.object({
            timeZone: z.string(),
            weeks: z.array(
              z.object({ start: z.string(), counts: z.record(z.string(), z.record(z.string(), z.number().int())) }),
            ),
          }),
        ),
      },
      ...ERRORS,
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const weekCount = q.weeks === undefined ? 8 : Number(q.weeks);
    if (weekCount < 1 || weekCount > 52)
      apiError(400, 'invalid_request', '1 invalid field', [{ path: 'weeks', message: 'is 1 to 52' }]);
    const db = createDb(c.env.DB);
    const tz = q.tz ?? (await readSla(db)).timeZone;
    const now = Date.now();
    const current = mondayOf(wallClock(now, tz).date);
    const starts = Array.from({ length: weekCount }, (_, i) => addDays(current, -7 * (weekCount - 1 - i)));
    const cats = visible(c);
    const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    const weeks = starts.map((start) => ({
      start,
      counts: Object.fromEntries(cats.map((k) => [k, zero()])) as Record<string, Record<string, number>>,
    }));
    const index = new Map(starts.map((s, i) => [s, i]));
    const fromHour = Math.floor(now / HOUR_MS) - (weekCount * 7 + 8) * 24;
    const rows = cats.length
      ? await volumeByHour(db, { fromHour, toHour: Math.floor(now / HOUR_MS) + 1, categories: cats }, true)
      : [];
    const weekOf = new Map<number, number | undefined>();
    for (const row of rows) {
      if (!weekOf.has(row.hour)) weekOf.set(row.hour, index.get(mondayOf(wallClock(row.hour * HOUR_MS, tz).date)));
      const i = weekOf.get(row.hour);
      if (i !== undefined) weeks[i]!.counts[row.category]![row.severity]! += row.n;
    }
    if (q.format === 'csv')
      return csv(
        c,
        'trends',
        ['weekStart', 'category', 'severity', 'count'],
        weeks.flatMap((w) =>
          Object.entries(w.counts).flatMap(([k, s]) => Object.entries(s).map(([sv, n]) => [w.start, k, sv, n])),
        ),
      );
    return c.json({ timeZone: tz, weeks } satisfies Trends, 200);
  },
);

insight.openapi(
  createRoute({
    method: 'get',
    path: '/top-entities',
    summary: 'Berths, ships, containers, cranes or ports with the most events received in a range',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: TopQuerySchema },
    responses: {
      200: {
        description: 'Top entities',
        content: json(
          z.object({
            kind: z.string(),
            ...range,
            rows: z.array(z.object({ id: z.string(), count: z.number().int(), critical: z.number().int() })),
          }),
        ),
      },
      ...ERRORS,
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const limit = q.limit === undefined ? 10 : Number(q.limit);
    if (limit < 1 || limit > 100)
      apiError(400, 'invalid_request', '1 invalid field', [{ path: 'limit', message: 'is 1 to 100' }]);
    const r = rangeOf(q, Date.now());
    const cats = visible(c);
    const rows = cats.length ? await topEntities(createDb(c.env.DB), q.kind, { ...r, categories: cats }, limit) : [];
    if (q.format === 'csv')
      return csv(
        c,
        `top-${q.kind}`,
        ['id', 'count', 'critical'],
        rows.map((x) => [x.id, x.count, x.critical]),
      );
    return c.json({ kind: q.kind, from: r.from, to: r.to, rows } satisfies TopEntities, 200);
  },
);
