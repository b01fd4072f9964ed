/**
 * The read side of the events API: filtered, keyset-paginated lists (JSON and CSV export share
 * them), single events and their history. Raw SQL on D1 because the keyset comparison on row
 * values and the FTS5 MATCH have no drizzle form; every value is a bound parameter.
 */
import type { Category, Severity, Status } from '../../protocol/enums.ts';
import { isTombstone, type Change, type QuaycastEvent } from '../../protocol/event.ts';
import type { HistoryEntry } from '../../protocol/history.ts';
import type { Db } from './client.ts';
import { rowToChange } from './events.ts';

/** Filters shared by the list and the CSV export. */
export type EventFilter = {
  category?: Category;
  severities?: Severity[];
  statuses?: Status[];
  /** Text over title and description (word-prefix match, every word must match). */
  q?: string;
  /** receivedAt bounds, ms since epoch: from inclusive, to exclusive. */
  from?: number;
  to?: number;
  /** Only events this user has not marked read. */
  unread?: boolean;
  /** How to run `q` (see planText); decided once per query. */
  textPlan?: 'set' | 'scan';
  /**
   * A scoped token's categories (protocol/scope.ts): only these are read. Undefined = every
   * category; never empty (a scope names at least one category).
   */
  scope?: readonly Category[];
};

/**
 * Where a page starts. `received`: newest-first lists, after (receivedAt, id). `seq`: a room's
 * changefeed in seq order, after this seq.
 */
export type Position = { kind: 'received'; receivedAt: number; id: string } | { kind: 'seq'; seq: number };

export type ListQuery = EventFilter & {
  /** The caller, for `read` flags and the unread filter. */
  user: string;
  /** Changefeed mode (needs `category`): seq ascending, tombstones included. */
  after?: number;
  position?: Position;
  limit: number;
};

/** An event as the API lists it: the event plus the caller's read flag, or a tombstone (changefeed mode). */
export type ListedEvent = (QuaycastEvent & { read: boolean }) | Extract<Change, { deleted: true }>;

export type ListPage<T> = { rows: T[]; next: Position | null };

/** Opaque cursor: base64url of the last sort key. */
export function encodeCursor(p: Position): string {
  const json = JSON.stringify(p.kind === 'seq' ? ['s', p.seq] : ['r', p.receivedAt, p.id]);
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The position a cursor names, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): Position | undefined {
  try {
    const bin = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const v: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))));
    if (!Array.isArray(v)) return undefined;
    if (v[0] === 's' && v.length === 2 && Number.isSafeInteger(v[1]) && v[1] >= 0) return { kind: 'seq', seq: v[1] };
    if (v[0] === 'r' && v.length === 3 && Number.isSafeInteger(v[1]) && typeof v[2] === 'string')
      return { kind: 'received', receivedAt: v[1], id: v[2] };
  } catch {
    // not base64url JSON: not a cursor this API issued
  }
  return undefined;
}

/**
 * The FTS5 query for free text: each word becomes a quoted prefix term (so operators and quotes
 * in user input are inert), all of them required. Undefined when the text has no words.
 */
export function ftsQuery(q: string): string | undefined {
  const words = q.match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  return words
    .slice(0, 16)
    .map((w) => `"${w}"*`)
    .join(' ');
}

type Sql = { where: string[]; params: unknown[] };

function bind(s: Sql, value: unknown): string {
  s.params.push(value);
  return `?${s.params.length}`;
}

/** The WHERE terms of a filter (without the deleted / position terms). */
function filterTerms(s: Sql, f: EventFilter): string[] {
  const terms: string[] = [];
  if (f.category) terms.push(`e.category = ${bind(s, f.category)}`);
  // One value: its (value, received_at) index gives rows already in order. Several: SQLite would
  // read every row of each value and sort them (seconds at 1M rows), so the unary + keeps the
  // index out and the newest-first scan filters instead (measured in docs/api.md).
  const oneOf = (column: string, values: readonly string[]) =>
    values.length === 1
      ? `${column} = ${bind(s, values[0])}`
      : `+${column} IN (${values.map((v) => bind(s, v)).join(', ')})`;
  if (f.scope) terms.push(oneOf('e.category', f.scope));
  if (f.severities?.length) terms.push(oneOf('e.severity', f.severities));
  if (f.statuses?.length) terms.push(oneOf('e.status', f.statuses));
  if (f.from !== undefined) terms.push(`e.received_at >= ${bind(s, f.from)}`);
  if (f.to !== undefined) terms.push(`e.received_at < ${bind(s, f.to)}`);
  const match = f.q === undefined ? undefined : ftsQuery(f.q);
  // 'set': fetch the few matching rows by rowid and sort them. 'scan': walk the sort order and
  // test membership, stopping at the page's end (a common word would otherwise sort 100k rows).
  if (match)
    terms.push(
      `${f.textPlan === 'scan' ? '+' : ''}e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ${bind(s, match)})`,
    );
  if (f.unread) terms.push('r.event_id IS NULL');
  return terms;
}

/**
 * Builds the SELECT of one page. `columns` is the select list over `e` (events) and `r`
 * (the caller's read_state row, LEFT JOINed). Fetches `limit + 1` rows to know whether a next
 * page exists without a second query.
 */
function pageSql(query: ListQuery, columns: string): { sql: string; params: unknown[]; changefeed: boolean } {
  const s: Sql = { where: [], params: [] };
  const user = bind(s, query.user);
  const changefeed = query.after !== undefined;
  const terms = filterTerms(s, query);
  if (changefeed) {
    // The room's changefeed: tombstones always pass (a client must learn of a delete).
    const filtered = terms.filter((t) => !t.startsWith('e.category'));
    s.where.push(`e.category = ${bind(s, query.category)}`);
    const after = query.position?.kind === 'seq' ? query.position.seq : query.after!;
    s.where.push(`e.seq > ${bind(s, after)}`);
    if (filtered.length > 0) s.where.push(`(e.deleted = 1 OR (${filtered.join(' AND ')}))`);
  } else {
    s.where.push('e.deleted = 0', ...terms);
    if (query.position?.kind === 'received') {
      s.where.push(`(e.received_at, e.id) < (${bind(s, query.position.receivedAt)}, ${bind(s, query.position.id)})`);
    }
  }
  const order = changefeed ? 'e.seq ASC' : 'e.received_at DESC, e.id DESC';
  const sql = `SELECT ${columns} FROM events e LEFT JOIN read_state r ON r.user_sub = ${user} AND r.event_id = e.id
WHERE ${s.where.join(' AND ')} ORDER BY ${order} LIMIT ${bind(s, query.limit + 1)}`;
  return { sql, params: s.params, changefeed };
}

/** Matches above which a text search walks the sort order instead of sorting its matches. */
const TEXT_SCAN_THRESHOLD = 5000;

/**
 * Decides how `q` runs, from how many rows it matches (counting stops at the threshold, so this
 * costs at most a few thousand index entries).
 */
export async function planText<Q extends EventFilter>(db: Db, query: Q): Promise<Q> {
  const match = query.q === undefined ? undefined : ftsQuery(query.q);
  if (!match || query.textPlan) return query;
  const row = await db.$client
    .prepare('SELECT COUNT(*) AS n FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ?1 LIMIT ?2)')
    .bind(match, TEXT_SCAN_THRESHOLD)
    .first<{ n: number }>();
  return { ...query, textPlan: (row?.n ?? 0) >= TEXT_SCAN_THRESHOLD ? 'scan' : 'set' };
}

type KeyRow = { id: string; seq: number; received_at: number };

function pageOf<R extends KeyRow>(
  rows: R[],
  query: ListQuery,
  changefeed: boolean,
): { rows: R[]; next: Position | null } {
  if (rows.length <= query.limit) return { rows, next: null };
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1]!;
  return {
    rows: page,
    next: changefeed ? { kind: 'seq', seq: last.seq } : { kind: 'received', receivedAt: last.received_at, id: last.id },
  };
}

/** A row of a page with its sort keys (the archive's merge, worker/archive/list.ts, orders by them). */
export type Keyed<T> = { id: string; seq: number; receivedAt: number; value: T };

/** One page of events matching a query, newest first (or in seq order in changefeed mode), with their keys. */
export async function listKeyed(db: Db, query: ListQuery): Promise<ListPage<Keyed<ListedEvent>>> {
  query = await planText(db, query);
  const { sql, params, changefeed } = pageSql(
    query,
    'e.id, e.seq, e.category, e.deleted, e.doc, e.received_at, r.event_id IS NOT NULL AS read',
  );
  type Row = KeyRow & { category: Category; deleted: number; doc: string; read: number };
  const { results } = await db.$client
    .prepare(sql)
    .bind(...params)
    .all<Row>();
  const page = pageOf(results, query, changefeed);
  return {
    next: page.next,
    rows: page.rows.map((row) => {
      const change = rowToChange({ ...row, deleted: row.deleted === 1 });
      const value: ListedEvent = isTombstone(change) ? change : { ...change, read: row.read === 1 };
      return { id: row.id, seq: row.seq, receivedAt: row.received_at, value };
    }),
  };
}

/** One page of events matching a query, from D1 only (the hot window). */
export async function listEvents(db: Db, query: ListQuery): Promise<ListPage<ListedEvent>> {
  const page = await listKeyed(db, query);
  return { next: page.next, rows: page.rows.map((r) => r.value) };
}

/** The CSV export's columns, in order: header name → SQL over `e` (doc-only fields via json_extract, so SQLite does the parsing). */
export const EXPORT_COLUMNS: readonly (readonly [header: string, sql: string])[] = [
  ['id', 'e.id'],
  ['seq', 'e.seq'],
  ['category', 'e.category'],
  ['severity', 'e.severity'],
  ['priority', 'e.priority'],
  ['status', 'e.status'],
  ['eventType', 'e.event_type'],
  ['title', 'e.title'],
  ['description', 'e.description'],
  ['source', "json_extract(e.doc, '$.source')"],
  ['eventTime', "json_extract(e.doc, '$.eventTime')"],
  ['receivedAt', "json_extract(e.doc, '$.receivedAt')"],
  ['updatedAt', "json_extract(e.doc, '$.updatedAt')"],
  ['containerId', 'e.container_id'],
  ['shipId', 'e.ship_id'],
  ['berthId', 'e.berth_id'],
  ['portId', 'e.port_id'],
  ['requiresAction', "CASE e.requires_action WHEN 1 THEN 'true' ELSE 'false' END"],
  ['isResolved', "CASE e.is_resolved WHEN 1 THEN 'true' ELSE 'false' END"],
  ['assignedTo', 'e.assigned_to'],
  ['acknowledgedAt', "json_extract(e.doc, '$.acknowledgedAt')"],
  ['acknowledgedBy', "json_extract(e.doc, '$.acknowledgedBy')"],
  ['resolvedAt', "json_extract(e.doc, '$.resolvedAt')"],
  ['resolvedBy', "json_extract(e.doc, '$.resolvedBy')"],
  ['resolution', "json_extract(e.doc, '$.resolution')"],
  ['origin', "json_extract(e.doc, '$.origin.kind')"],
  ['read', "CASE WHEN r.event_id IS NULL THEN 'false' ELSE 'true' END"],
];

/** One page of the CSV export from D1: each row the values of EXPORT_COLUMNS, in order, with its keys. */
export async function exportKeyed(db: Db, query: ListQuery): Promise<ListPage<Keyed<unknown[]>>> {
  query = await planText(db, query);
  const columns = [
    'e.id AS k_id',
    'e.seq AS k_seq',
    'e.received_at AS k_received',
    ...EXPORT_COLUMNS.map(([, sql], i) => `${sql} AS c${i}`),
  ].join(', ');
  const { sql, params, changefeed } = pageSql(query, columns);
  const { results } = await db.$client
    .prepare(sql)
    .bind(...params)
    .all<Record<string, unknown>>();
  const keyed = results.map((r) => ({
    id: r.k_id as string,
    seq: r.k_seq as number,
    received_at: r.k_received as number,
    r,
  }));
  const page = pageOf(keyed, query, changefeed);
  return {
    next: page.next,
    rows: page.rows.map(({ id, seq, received_at, r }) => ({
      id,
      seq,
      receivedAt: received_at,
      value: EXPORT_COLUMNS.map((_, i) => r[`c${i}`]),
    })),
  };
}

/**
 * The export's cells of an event that is not in D1 (an archived one), in EXPORT_COLUMNS order and
 * with the values SQLite gives for a stored row (workerd test: archive.test.ts compares the two).
 */
export function exportCells(e: QuaycastEvent, read: boolean): unknown[] {
  const orNull = (v: unknown) => (v === undefined ? null : v);
  return [
    e.id,
    e.seq,
    e.category,
    e.severity,
    e.priority,
    e.status,
    e.eventType,
    e.title,
    orNull(e.description),
    orNull(e.source),
    orNull(e.eventTime),
    orNull(e.receivedAt),
    orNull(e.updatedAt),
    orNull(e.containerId),
    orNull(e.shipId),
    orNull(e.berthId),
    orNull(e.portId),
    e.requiresAction ? 'true' : 'false',
    e.isResolved ? 'true' : 'false',
    orNull(e.assignedTo),
    orNull(e.acknowledgedAt),
    orNull(e.acknowledgedBy),
    orNull(e.resolvedAt),
    orNull(e.resolvedBy),
    orNull(e.resolution),
    orNull(e.origin?.kind),
    read ? 'true' : 'false',
  ];
}

/** A stored row by id, with its current seq and the caller's read flag; tombstones included. */
export async function findEvent(
  db: Db,
  id: string,
  user: string,
): Promise<{ seq: number; category: Category; deleted: boolean; event: QuaycastEvent; read: boolean } | undefined> {
  const row = await db.$client
    .prepare(
      'SELECT e.seq, e.category, e.deleted, e.doc, r.event_id IS NOT NULL AS read FROM events e LEFT JOIN read_state r ON r.user_sub = ?2 AND r.event_id = e.id WHERE e.id = ?1',
    )
    .bind(id, user)
    .first<{ seq: number; category: Category; deleted: number; doc: string; read: number }>();
  if (!row) return undefined;
  const event = { ...(JSON.parse(row.doc) as Omit<QuaycastEvent, 'seq'>), seq: row.seq };
  return { seq: row.seq, category: row.category, deleted: row.deleted === 1, event, read: row.read === 1 };
}

/** An event's workflow history, oldest first. */
export async function eventHistoryOf(db: Db, id: string): Promise<HistoryEntry[]> {
  const { results } = await db.$client
    .prepare(
      'SELECT event_id AS eventId, seq, at, actor, action, from_status AS fromStatus, to_status AS toStatus, note FROM event_history WHERE event_id = ?1 ORDER BY seq',
    )
    .bind(id)
    .all<HistoryEntry>();
  return results;
}

/**
 * The current seq of each id that is stored (duplicates answer with the seq they already have);
 * with a scope, only of events in it (a scoped token learns no seq of another category).
 */
export async function seqsOf(db: Db, ids: string[], scope?: readonly Category[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (ids.length === 0) return out;
  const { results } = await db.$client
    .prepare(
      'SELECT id, seq FROM events WHERE id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR category IN (SELECT value FROM json_each(?2)))',
    )
    .bind(JSON.stringify(ids), scope ? JSON.stringify(scope) : null)
    .all<{ id: string; seq: number }>();
  for (const r of results) out.set(r.id, r.seq);
  return out;
}

/** Marks an event read (idempotent: the first read time stays) or unread for one user. */
export async function setRead(db: Db, user: string, eventId: string, read: boolean, at = Date.now()): Promise<void> {
  const d1 = db.$client;
  if (read)
    await d1
      .prepare('INSERT INTO read_state (user_sub, event_id, read_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING')
      .bind(user, eventId, at)
      .run();
  else await d1.prepare('DELETE FROM read_state WHERE user_sub = ?1 AND event_id = ?2').bind(user, eventId).run();
}
