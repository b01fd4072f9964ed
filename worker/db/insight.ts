/**
 * SQL of the SLA document and the insight rollups (migrations/0010_insight.sql,
 * 0013_insight_rollups.sql, 0014_insight_open.sql). Every read is a range over a rollup's
 * primary key (days, hours) or an index range count of at most an hour; none scans events.
 */
import { CATEGORIES, type Category, type Severity } from '../../protocol/enums.ts';
import {
  HOUR_MS,
  type EntityKind,
  type HistogramBin,
  type InsightDimension,
  type SlaDocument,
  type SlaInput,
} from '../../protocol/insight.ts';
import type { Db } from './client.ts';

export async function readSla(db: Db): Promise<SlaDocument> {
  const d1 = db.$client;
  const [targets, settings] = await d1.batch<Record<string, unknown>>([
    d1.prepare('SELECT severity, category, ack_ms, resolve_ms FROM sla_targets ORDER BY severity, category'),
    d1.prepare('SELECT time_zone, shifts, updated_at, updated_by FROM sla_settings WHERE id = 1'),
  ]);
  const s = settings!.results[0] as {
    time_zone: string;
    shifts: string;
    updated_at: number | null;
    updated_by: string | null;
  };
  const order = ['Critical', 'High', 'Medium', 'Low'];
  return {
    targets: (targets!.results as { severity: Severity; category: string; ack_ms: number; resolve_ms: number }[])
      .map((t) => ({
        severity: t.severity,
        category: t.category === '' ? null : (t.category as Category),
        ackMinutes: Math.round(t.ack_ms / 60000),
        resolveMinutes: Math.round(t.resolve_ms / 60000),
      }))
      .sort(
        (a, b) =>
          order.indexOf(a.severity) - order.indexOf(b.severity) || (a.category ?? '').localeCompare(b.category ?? ''),
      ),
    timeZone: s.time_zone,
    shifts: JSON.parse(s.shifts) as SlaDocument['shifts'],
    updatedAt: s.updated_at,
    updatedBy: s.updated_by,
  };
}

/** Replaces the document in one transaction. Rollups already written keep the targets they were judged by. */
export async function writeSla(db: Db, doc: SlaInput, by: string, now: number): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1.prepare('DELETE FROM sla_targets'),
    d1
      .prepare(
        `INSERT INTO sla_targets (severity, category, ack_ms, resolve_ms)
         SELECT json_extract(value, '$.severity'), COALESCE(json_extract(value, '$.category'), ''),
           json_extract(value, '$.ackMinutes') * 60000, json_extract(value, '$.resolveMinutes') * 60000 FROM json_each(?1)`,
      )
      .bind(JSON.stringify(doc.targets)),
    d1
      .prepare('UPDATE sla_settings SET time_zone = ?1, shifts = ?2, updated_at = ?3, updated_by = ?4 WHERE id = 1')
      .bind(doc.timeZone, JSON.stringify(doc.shifts), now, by),
  ]);
}

export type Filter = { fromHour: number; toHour: number; categories: readonly Category[]; severity?: Severity };

const inList = (col: string, values: readonly string[], first: number) =>
  `${col} IN (${values.map((_, i) => `?${first + i}`).join(', ')})`;

/** `bucket` is coarse (migrations/0013_insight_rollups.sql); `key` of `shift` is the shift's name. */
export type ResponseBin = HistogramBin & { key: string; kind: 0 | 1; met: number };

const FINE_COLUMN = {
  category: 'category',
  severity: 'severity',
  eventType: 'event_type',
  assignee: 'assignee',
} as const;

/**
 * Histogram bins of acknowledge (kind 0) and resolve (kind 1) durations grouped by a dimension.
 * Whole UTC days come from insight_response_day, the partial first and last day from the hourly
 * insight_response (its fine buckets mapped onto coarse ones); one statement, summed in SQL.
 * A severity filter by eventType or assignee has no daily table and reads insight_response whole.
 */
export async function responseBins(db: Db, by: Exclude<InsightDimension, 'shift'>, f: Filter): Promise<ResponseBin[]> {
  const params: (string | number)[] = [];
  const p = (v: string | number) => {
    params.push(v);
    return `?${params.length}`;
  };
  const list = (values: readonly string[]) => values.map(p).join(', ');
  const all = f.categories.length === CATEGORIES.length;
  // The daily table's reading: which dimension's rows, the key column, and the filters on them.
  // A category's scope is its own; by category with a severity reads the severity rows per scope.
  let daily: { dim: string; key: string; where: () => string } | undefined;
  const sev = () => (f.severity ? ` AND key = ${p(f.severity)}` : '');
  if (by === 'category')
    daily = f.severity
      ? { dim: 'severity', key: 'scope', where: () => `scope IN (${list(f.categories)})${sev()}` }
      : { dim: 'category', key: 'key', where: () => `scope = '*' AND key IN (${list(f.categories)})` };
  else if (by === 'severity' || !f.severity)
    daily = {
      dim: by,
      key: 'key',
      where: () => (all ? `scope = '*'` : `scope IN (${list(f.categories)})`) + sev(),
    };
  const firstDay = Math.ceil(f.fromHour / 24);
  const lastDay = Math.floor(f.toHour / 24);
  const days = daily !== undefined && firstDay < lastDay;
  const edges = days
    ? [
        [f.fromHour, firstDay * 24],
        [lastDay * 24, f.toHour],
      ].filter(([a, b]) => a! < b!)
    : [[f.fromHour, f.toHour]];
  const arms: string[] = [];
  if (days)
    arms.push(
      `SELECT ${daily!.key} AS key, kind, bucket, n, sum_ms, met FROM insight_response_day
       WHERE dim = ${p(daily!.dim)} AND ${daily!.where()} AND day >= ${p(firstDay)} AND day < ${p(lastDay)}`,
    );
  const fineFilter = () => `category IN (${list(f.categories)})${f.severity ? ` AND severity = ${p(f.severity)}` : ''}`;
  for (const [a, b] of edges)
    arms.push(
      `SELECT ${FINE_COLUMN[by]} AS key, kind, (bucket + 4) / 5 AS bucket, n, sum_ms, met FROM insight_response
       WHERE hour >= ${p(a!)} AND hour < ${p(b!)} AND ${fineFilter()}`,
    );
  const { results } = await db.$client
    .prepare(
      `SELECT key, kind, bucket, SUM(n) AS n, SUM(sum_ms) AS sumMs, SUM(met) AS met
       FROM (${arms.join(' UNION ALL ')}) GROUP BY key, kind, bucket`,
    )
    .bind(...params)
    .all<ResponseBin>();
  return results;
}

/**
 * The same bins by shift: `runs` are [shift, fromHour, toHour) spans of consecutive UTC hours the
 * caller mapped to one shift in its zone. Read from the lean insight_response_hour (scope '*' or
 * the categories), or from insight_response when a severity is asked for; grouped by shift in SQL.
 */
export async function shiftBins(
  db: Db,
  f: Filter,
  runs: readonly (readonly [string, number, number])[],
): Promise<ResponseBin[]> {
  const params: (string | number)[] = [JSON.stringify(runs)];
  const p = (v: string | number) => {
    params.push(v);
    return `?${params.length}`;
  };
  const cats = () => f.categories.map(p).join(', ');
  const source = f.severity
    ? `insight_response r ON r.hour >= runs.a AND r.hour < runs.b AND r.category IN (${cats()}) AND r.severity = ${p(f.severity)}`
    : `insight_response_hour r ON ${f.categories.length === CATEGORIES.length ? `r.scope = '*'` : `r.scope IN (${cats()})`}
       AND r.hour >= runs.a AND r.hour < runs.b`;
  const bucket = f.severity ? `(r.bucket + 4) / 5` : 'r.bucket';
  const { results } = await db.$client
    .prepare(
      // CROSS JOIN keeps the runs outside, so each is one range of the rollup's key.
      `WITH runs (key, a, b) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?1))
       SELECT runs.key AS key, r.kind AS kind, ${bucket} AS bucket, SUM(r.n) AS n, SUM(r.sum_ms) AS sumMs, SUM(r.met) AS met
       FROM runs CROSS JOIN ${source} GROUP BY runs.key, r.kind, ${bucket}`,
    )
    .bind(...params)
    .all<ResponseBin>();
  return results;
}

/**
 * Events received in [from, to) still open past their target at `now`. Per (category, severity)
 * and kind the range [from, min(to, now - target)) is split into its whole UTC days, summed from
 * insight_open_day, the whole hours around them, summed from insight_open
 * (migrations/0014_insight_open.sql), and the partial hours at its ends, counted in the partial
 * indexes events_open_new / events_open_unresolved (an hour's entries at most).
 */
export async function openBreached(
  db: Db,
  opts: {
    from: number;
    to: number;
    now: number;
    pairs: { category: Category; severity: Severity; ackMs: number; resolveMs: number }[];
  },
): Promise<{ ack: number; resolve: number }> {
  // [kind, category, severity, level, a, b): level 0 = received_at [a, b) in ms, 1 = hours, 2 = days.
  const pieces: [0 | 1, Category, Severity, 0 | 1 | 2, number, number][] = [];
  for (const pair of opts.pairs)
    for (const [kind, targetMs] of [
      [0, pair.ackMs],
      [1, pair.resolveMs],
    ] as const) {
      const end = Math.min(opts.to, opts.now - targetMs);
      const piece = (level: 0 | 1 | 2, a: number, b: number) => {
        if (a < b) pieces.push([kind, pair.category, pair.severity, level, a, b]);
      };
      const firstHour = Math.ceil(opts.from / HOUR_MS);
      const lastHour = Math.floor(end / HOUR_MS);
      if (firstHour >= lastHour) {
        piece(0, opts.from, end);
        continue;
      }
      piece(0, opts.from, firstHour * HOUR_MS);
      const firstDay = Math.ceil(firstHour / 24);
      const lastDay = Math.floor(lastHour / 24);
      if (firstDay < lastDay) {
        piece(1, firstHour, firstDay * 24);
        piece(2, firstDay, lastDay);
        piece(1, lastDay * 24, lastHour);
      } else piece(1, firstHour, lastHour);
      piece(0, lastHour * HOUR_MS, end);
    }
  if (pieces.length === 0) return { ack: 0, resolve: 0 };
  const row = await db.$client
    .prepare(
      `WITH p (kind, category, severity, level, a, b) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
         json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]') FROM json_each(?1)),
       n (kind, n) AS (SELECT p.kind, CASE
         WHEN p.level = 2 THEN (SELECT COALESCE(SUM(CASE p.kind WHEN 0 THEN o.new_n ELSE o.open_n END), 0) FROM insight_open_day o
           WHERE o.category = p.category AND o.severity = p.severity AND o.day >= p.a AND o.day < p.b)
         WHEN p.level = 1 THEN (SELECT COALESCE(SUM(CASE p.kind WHEN 0 THEN o.new_n ELSE o.open_n END), 0) FROM insight_open o
           WHERE o.category = p.category AND o.severity = p.severity AND o.hour >= p.a AND o.hour < p.b)
         WHEN p.kind = 0 THEN (SELECT COUNT(*) FROM events INDEXED BY events_open_new WHERE status = 'New' AND deleted = 0
           AND category = p.category AND severity = p.severity AND received_at >= p.a AND received_at < p.b)
         ELSE (SELECT COUNT(*) FROM events INDEXED BY events_open_unresolved WHERE status IN ('New', 'Acknowledged', 'InProgress')
           AND deleted = 0 AND category = p.category AND severity = p.severity AND received_at >= p.a AND received_at < p.b)
         END FROM p)
       SELECT COALESCE(SUM(CASE kind WHEN 0 THEN n END), 0) AS ack, COALESCE(SUM(CASE kind WHEN 1 THEN n END), 0) AS resolve FROM n`,
    )
    .bind(JSON.stringify(pieces))
    .first<{ ack: number; resolve: number }>();
  return { ack: row?.ack ?? 0, resolve: row?.resolve ?? 0 };
}

/** Events received per hour and category (severities summed unless `bySeverity`). */
export async function volumeByHour(
  db: Db,
  f: Filter,
  bySeverity = false,
): Promise<{ hour: number; category: Category; severity: Severity; n: number }[]> {
  const sevCol = bySeverity ? 'severity' : "'' AS severity";
  const group = bySeverity ? 'hour, category, severity' : 'hour, category';
  const { results } = await db.$client
    .prepare(
      `SELECT hour, category, ${sevCol}, SUM(n) AS n FROM insight_volume
       WHERE hour >= ?1 AND hour < ?2 AND ${inList('category', f.categories, 3)} GROUP BY ${group}`,
    )
    .bind(f.fromHour, f.toHour, ...f.categories)
    .all<{ hour: number; category: Category; severity: Severity; n: number }>();
  return results;
}

export async function topEntities(
  db: Db,
  kind: EntityKind,
  f: Filter,
  limit: number,
): Promise<{ id: string; count: number; critical: number }[]> {
  const n = f.categories.length;
  const { results } = await db.$client
    .prepare(
      `SELECT entity_id AS id, SUM(n) AS count, SUM(critical) AS critical FROM insight_entities
       WHERE kind = ?1 AND hour >= ?2 AND hour < ?3 AND ${inList('category', f.categories, 4)}
       GROUP BY entity_id ORDER BY count DESC, id LIMIT ?${4 + n}`,
    )
    .bind(kind, f.fromHour, f.toHour, ...f.categories, limit)
    .all<{ id: string; count: number; critical: number }>();
  return results;
}

/**
 * Deletes at most `maxRows` rows per table of insight_open / insight_open_day that count
 * nothing any more (new_n = 0 and open_n = 0: every event of that hour or day was settled).
 * Safe at any time: every increment of those tables is an upsert, and a decrement only meets a
 * row that still counts the event it takes out. Returns the rows deleted, and whether some remain.
 */
export async function pruneEmptyOpenCounts(db: Db, maxRows: number): Promise<{ deleted: number; more: boolean }> {
  const d1 = db.$client;
  const [hours, days] = await d1.batch([
    d1
      .prepare(
        `DELETE FROM insight_open WHERE (category, severity, hour) IN
           (SELECT category, severity, hour FROM insight_open WHERE new_n = 0 AND open_n = 0 LIMIT ?1)`,
      )
      .bind(maxRows),
    d1
      .prepare(
        `DELETE FROM insight_open_day WHERE (category, severity, day) IN
           (SELECT category, severity, day FROM insight_open_day WHERE new_n = 0 AND open_n = 0 LIMIT ?1)`,
      )
      .bind(maxRows),
  ]);
  const [h, d] = [hours!.meta.changes ?? 0, days!.meta.changes ?? 0];
  return { deleted: h + d, more: h === maxRows || d === maxRows };
}
