/**
 * The read side of `GET /v2/events` (docs/dcsa.md): pages of the kept DCSA originals from the
 * trigger-kept index `dcsa_events` (migrations/0015_dcsa_events.sql), in its arrival order `k`,
 * with the standard's filters and keyset positions. Raw D1 statements: every value is a bound
 * parameter, at most about 40 of them (lists are de-duplicated by the caller's masks).
 */
import type { DcsaEventType } from '../../protocol/dcsa.ts';
import type { Category } from '../../protocol/enums.ts';

/**
 * The standard's filters, each ANDed with the others (TNT 2.2: combining contradicting filters
 * answers an empty list). A list is an OR of its values; a type-code list also requires its event
 * type (an EQUIPMENT code never matches a TRANSPORT event).
 */
export type DcsaEventFilter = {
  eventTypes?: readonly DcsaEventType[];
  equipmentCodes?: readonly string[];
  transportCodes?: readonly string[];
  shipmentCodes?: readonly string[];
  equipmentReference?: string;
  vesselIMONumber?: string;
  /** The eventLocation's or the transport call's UN/LOCODE. */
  unLocationCode?: string;
  /** eventCreatedDateTime bounds, ms since epoch, both inclusive. */
  createdFrom?: number;
  createdTo?: number;
};

/**
 * Where a page is: the first `limit` rows after key `after`, the last `limit` rows before key
 * `before`, or the newest `limit` rows (`last`).
 */
export type DcsaPosition = { after: number } | { before: number } | { last: true };

export type DcsaPageQuery = {
  filter: DcsaEventFilter;
  /** A scoped token's categories (protocol/scope.ts); undefined = every category. */
  scope?: readonly Category[];
  position: DcsaPosition;
  limit: number;
};

/** A page in cursor order, with whether matching rows exist before and after it. */
export type DcsaPage = { rows: { k: number; doc: string }[]; hasBefore: boolean; hasAfter: boolean };

/** The WHERE terms (ANDed) and their parameters; `locode` is the UN/LOCODE's parameter, when filtered. */
type Sql = { terms: string[]; params: unknown[]; locode?: string };

function bind(s: Sql, value: unknown): string {
  s.params.push(value);
  return `?${s.params.length}`;
}

/** `+column IN (…)`: the unary + keeps the k-ordered scan (these columns are not selective). */
function oneOf(s: Sql, column: string, values: readonly string[]): string {
  return `+${column} IN (${values.map((v) => bind(s, v)).join(', ')})`;
}

/** The WHERE terms of a filter and scope over `d` (dcsa_events) and `e` (events). */
function filterTerms(filter: DcsaEventFilter, scope: readonly Category[] | undefined): Sql {
  const s: Sql = { terms: ['e.deleted = 0'], params: [] };
  const f = filter;
  if (scope) s.terms.push(oneOf(s, 'd.category', scope));
  if (f.eventTypes) s.terms.push(oneOf(s, 'd.event_type', f.eventTypes));
  const codes: [string, readonly string[] | undefined][] = [
    ['EQUIPMENT', f.equipmentCodes],
    ['TRANSPORT', f.transportCodes],
    ['SHIPMENT', f.shipmentCodes],
  ];
  for (const [type, list] of codes)
    if (list) s.terms.push(`(+d.event_type = ${bind(s, type)} AND ${oneOf(s, 'd.type_code', list)})`);
  if (f.equipmentReference !== undefined) s.terms.push(`d.equipment_ref = ${bind(s, f.equipmentReference)}`);
  if (f.vesselIMONumber !== undefined) s.terms.push(`d.vessel_imo = ${bind(s, f.vesselIMONumber)}`);
  if (f.unLocationCode !== undefined) s.locode = bind(s, f.unLocationCode);
  if (f.createdFrom !== undefined) s.terms.push(`d.created_at >= ${bind(s, f.createdFrom)}`);
  if (f.createdTo !== undefined) s.terms.push(`d.created_at <= ${bind(s, f.createdTo)}`);
  return s;
}

/** CROSS JOIN: SQLite keeps dcsa_events as the outer loop, so rows come in k order off its key. */
const FROM = 'FROM dcsa_events d CROSS JOIN events e ON e.id = d.event_id';

/**
 * The SELECT of `columns` under the terms. A UN/LOCODE matches the eventLocation's or the transport
 * call's: two branches, each reading its index in k order, merged by SQLite (MERGE (UNION ALL): no
 * sort, and LIMIT stops it early, where an OR would collect every match and sort it). The second
 * branch skips what the first has (the same code in both places).
 */
function selectSql(s: Sql, columns: string, tail: string): string {
  const where = s.terms.join(' AND ');
  if (s.locode === undefined) return `SELECT ${columns} ${FROM} WHERE ${where} ${tail}`;
  const p = s.locode;
  return (
    `SELECT ${columns} ${FROM} WHERE ${where} AND d.event_locode = ${p} UNION ALL ` +
    `SELECT ${columns} ${FROM} WHERE ${where} AND d.call_locode = ${p} AND d.event_locode IS NOT ${p} ${tail}`
  );
}

/** The page's rows (`limit + 1` of them, to know whether more lie in its direction). */
function pageStatement(d1: D1Database, q: DcsaPageQuery): D1PreparedStatement {
  const { sql, params } = pageSql(q);
  return d1.prepare(sql).bind(...params);
}

/** The page's SQL and parameters (exported for the plan checks of test/workerd/dcsa-out-scale.test.ts). */
export function pageSql(q: DcsaPageQuery): { sql: string; params: unknown[] } {
  const s = filterTerms(q.filter, q.scope);
  const p = q.position;
  if ('after' in p) s.terms.push(`d.k > ${bind(s, p.after)}`);
  if ('before' in p) s.terms.push(`d.k < ${bind(s, p.before)}`);
  const order = 'after' in p ? 'ASC' : 'DESC';
  const sql = selectSql(s, 'd.k AS k, e.doc AS doc', `ORDER BY 1 ${order} LIMIT ${bind(s, q.limit + 1)}`);
  return { sql, params: s.params };
}

/** Whether a matching row lies on the page's other side (k ≤ after, or k ≥ before). */
function otherSideStatement(d1: D1Database, q: DcsaPageQuery): D1PreparedStatement | undefined {
  const s = filterTerms(q.filter, q.scope);
  const p = q.position;
  if ('last' in p) return undefined;
  s.terms.push('after' in p ? `d.k <= ${bind(s, p.after)}` : `d.k >= ${bind(s, p.before)}`);
  return d1.prepare(selectSql(s, '1 AS x', 'LIMIT 1')).bind(...s.params);
}

/** One page in cursor order (k ascending), in one round trip to D1. */
export async function dcsaEventsPage(d1: D1Database, q: DcsaPageQuery): Promise<DcsaPage> {
  const other = otherSideStatement(d1, q);
  const [page, side] = await d1.batch<{ k: number; doc: string; x: number }>(
    other ? [pageStatement(d1, q), other] : [pageStatement(d1, q)],
  );
  const fetched = page!.results;
  const more = fetched.length > q.limit;
  const rows = fetched.slice(0, q.limit).map((r) => ({ k: r.k, doc: r.doc }));
  const found = (side?.results.length ?? 0) > 0;
  if ('after' in q.position) return { rows, hasBefore: found, hasAfter: more };
  rows.reverse();
  return { rows, hasBefore: more, hasAfter: found };
}
