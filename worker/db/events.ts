/** Query functions over the `events` table. Each takes the drizzle handle first. */
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Category, Severity } from '../../protocol/enums.ts';
import type { Change, NewEvent, QuaycastEvent } from '../../protocol/event.ts';
import type { NewHistoryEntry } from '../../protocol/history.ts';
import type { Db } from './client.ts';
import { idHash } from './id-hash.ts';
import { events, type EventRow } from './schema.ts';

/** A row as the multi-row insert takes it: the indexed columns plus the JSON document. */
type InsertRow = {
  id: string;
  category: Category;
  seq: number;
  severity: Severity;
  priority: Severity;
  status: string;
  eventType: string;
  title: string;
  description: string | null;
  eventTime: number;
  receivedAt: number;
  updatedAt: number;
  containerId: string | null;
  shipId: string | null;
  berthId: string | null;
  portId: string | null;
  requiresAction: number;
  isResolved: number;
  assignedTo: string | null;
  doc: string;
  /** The id's key in the archive's id index (id-hash.ts): an id found there is a duplicate, not new. */
  h1: number;
  h2: number;
};

/**
 * Rows per INSERT statement and bytes of JSON per statement. The rows travel as one JSON
 * parameter expanded by json_each(), so D1's 100-bound-parameter limit is never near; the
 * byte bound keeps each statement's parameter well under D1's per-value size limit.
 */
export const INSERT_CHUNK_ROWS = 200;
export const INSERT_CHUNK_BYTES = 512 * 1024;

export function toInsertRow(event: NewEvent, seq: number): InsertRow {
  const [h1, h2] = idHash(event.id);
  return {
    id: event.id,
    category: event.category,
    seq,
    severity: event.severity,
    priority: event.priority,
    status: event.status,
    eventType: event.eventType,
    title: event.title,
    description: event.description,
    eventTime: Date.parse(event.eventTime),
    receivedAt: Date.parse(event.receivedAt),
    updatedAt: Date.parse(event.updatedAt),
    containerId: event.containerId,
    shipId: event.shipId,
    berthId: event.berthId,
    portId: event.portId,
    requiresAction: event.requiresAction ? 1 : 0,
    isResolved: event.isResolved ? 1 : 0,
    assignedTo: event.assignedTo,
    doc: JSON.stringify(event),
    h1,
    h2,
  };
}

/** Splits rows into statement-sized chunks (by count and by serialized size). */
export function chunkRows<T>(
  rows: T[],
  sizeOf: (row: T) => number,
  maxRows = INSERT_CHUNK_ROWS,
  maxBytes = INSERT_CHUNK_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const INSERT_COLUMNS: [sqlName: string, key: keyof InsertRow][] = [
  ['id', 'id'],
  ['category', 'category'],
  ['seq', 'seq'],
  ['severity', 'severity'],
  ['priority', 'priority'],
  ['status', 'status'],
  ['event_type', 'eventType'],
  ['title', 'title'],
  ['description', 'description'],
  ['event_time', 'eventTime'],
  ['received_at', 'receivedAt'],
  ['updated_at', 'updatedAt'],
  ['container_id', 'containerId'],
  ['ship_id', 'shipId'],
  ['berth_id', 'berthId'],
  ['port_id', 'portId'],
  ['requires_action', 'requiresAction'],
  ['is_resolved', 'isResolved'],
  ['assigned_to', 'assignedTo'],
  ['doc', 'doc'],
];

/**
 * One statement inserting many rows from a single JSON parameter (json_each), skipping ids that
 * exist — in D1, or in the archive's id index (an archived event redelivered is a duplicate too,
 * checked in the same statement, so a move committing meanwhile cannot let it in twice);
 * RETURNING yields only the rows that are new — exactly the ones to push.
 */
const INSERT_SQL = `INSERT INTO events (${INSERT_COLUMNS.map(([c]) => c).join(', ')})
SELECT ${INSERT_COLUMNS.map(([, k]) => `json_extract(value, '$.${k}')`).join(', ')}
FROM json_each(?1)
WHERE NOT EXISTS (SELECT 1 FROM archive_ids a WHERE a.h1 = json_extract(value, '$.h1') AND a.h2 = json_extract(value, '$.h2'))
ON CONFLICT (id) DO NOTHING
RETURNING id, seq`;

/**
 * Records outbox rows for the events of this batch that were inserted by it (their seq is the
 * one this batch assigned): runs after the inserts, in the same transaction.
 */
const OUTBOX_SQL = `INSERT INTO outbox (event_id, topic, created_at)
SELECT json_extract(j.value, '$.id'), json_extract(j.value, '$.topic'), ?2
FROM json_each(?1) AS j
WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = json_extract(j.value, '$.id') AND e.seq = json_extract(j.value, '$.seq'))
ON CONFLICT (event_id) DO NOTHING`;

/** An API-made event's outbox entry: which Kafka topic it goes to. */
export type OutboxEntry = { id: string; seq: number; topic: string };

/**
 * Inserts rows that are new by `id` and returns the ones that were (id → seq). All chunks run
 * in one D1 batch, which D1 executes as one transaction: the batch is stored whole or not at all,
 * together with the outbox entries of the new rows.
 * (Raw D1 here: drizzle's batch does not take raw statements with RETURNING.)
 */
export async function insertNewEvents(
  db: Db,
  rows: InsertRow[],
  outbox: OutboxEntry[] = [],
): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  if (rows.length === 0) return inserted;
  const d1 = db.$client;
  const statement = d1.prepare(INSERT_SQL);
  const chunks = chunkRows(rows, (r) => r.doc.length + 256);
  const statements = chunks.map((chunk) => statement.bind(JSON.stringify(chunk)));
  if (outbox.length > 0) statements.push(d1.prepare(OUTBOX_SQL).bind(JSON.stringify(outbox), Date.now()));
  const results = await d1.batch<{ id: string; seq: number }>(statements);
  for (const result of results.slice(0, chunks.length)) for (const row of result.results) inserted.set(row.id, row.seq);
  return inserted;
}

/**
 * Moves an event to a new seq with its new state (or marks it deleted, a tombstone), if it is
 * still at `expectedSeq` (optimistic concurrency), and records the history entry in the same
 * transaction. Returns false when the event is gone or was changed meanwhile.
 */
export async function replaceEvent(
  db: Db,
  change: { id: string; expectedSeq: number; row: InsertRow; deleted: boolean; history: NewHistoryEntry },
): Promise<boolean> {
  const d1 = db.$client;
  const r = change.row;
  const update = d1
    .prepare(
      `UPDATE events SET seq = ?1, severity = ?2, priority = ?3, status = ?4, event_type = ?5, title = ?6, description = ?7,
        updated_at = ?8, requires_action = ?9, is_resolved = ?10, assigned_to = ?11, doc = ?12, deleted = ?13
       WHERE id = ?14 AND seq = ?15 AND deleted = 0 RETURNING seq`,
    )
    .bind(
      r.seq,
      r.severity,
      r.priority,
      r.status,
      r.eventType,
      r.title,
      r.description,
      r.updatedAt,
      r.requiresAction,
      r.isResolved,
      r.assignedTo,
      r.doc,
      change.deleted ? 1 : 0,
      change.id,
      change.expectedSeq,
    );
  const h = change.history;
  const history = d1
    .prepare(
      `INSERT INTO event_history (event_id, seq, at, actor, action, from_status, to_status, note)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?1 AND seq = ?2)`,
    )
    .bind(change.id, r.seq, h.at, h.actor, h.action, h.fromStatus, h.toStatus, h.note);
  const [updated] = await d1.batch([update, history]);
  return (updated?.results.length ?? 0) > 0;
}

/**
 * The highest seq a room has given (0 when none): in D1, or moved to the archive (its cursor is
 * at least every archived seq). A room relearning its base after a storage reset must never hand
 * out a seq the archive holds.
 */
export async function maxSeq(db: Db, category: Category): Promise<number> {
  const row = await db.$client
    .prepare(
      `SELECT MAX(s) AS s FROM (SELECT MAX(seq) AS s FROM events WHERE category = ?1
       UNION ALL SELECT through_seq FROM archive_state WHERE category = ?1)`,
    )
    .bind(category)
    .first<{ s: number | null }>();
  return row?.s ?? 0;
}

/** A stored row as the change the rooms push: the event, or its tombstone. */
export function rowToChange(row: Pick<EventRow, 'id' | 'seq' | 'category' | 'deleted' | 'doc'>): Change {
  if (row.deleted) return { id: row.id, seq: row.seq, category: row.category, deleted: true };
  return { ...(JSON.parse(row.doc) as Omit<QuaycastEvent, 'seq'>), seq: row.seq };
}

/**
 * One page of a room's changefeed: changes with `after < seq <= upTo`, in seq order, optionally
 * only some severities (tombstones always pass: a client must learn of a delete).
 */
export async function changesAfter(
  db: Db,
  opts: { category: Category; after: number; upTo: number; severities?: readonly Severity[]; limit: number },
): Promise<Change[]> {
  const where = [eq(events.category, opts.category), gt(events.seq, opts.after), lte(events.seq, opts.upTo)];
  if (opts.severities && opts.severities.length > 0) {
    where.push(sql`(${inArray(events.severity, [...opts.severities])} OR ${events.deleted} = 1)`);
  }
  const rows = await db
    .select({ id: events.id, seq: events.seq, category: events.category, deleted: events.deleted, doc: events.doc })
    .from(events)
    .where(and(...where))
    .orderBy(asc(events.seq))
    .limit(opts.limit);
  return rows.map(rowToChange);
}

/**
 * The stored rows among `ids` (tombstones too) with their category. Raw D1: the ids travel as
 * one JSON parameter, since D1 allows at most 100 bound parameters and a batch has more ids.
 */
export async function categoriesOf(db: Db, ids: string[]): Promise<{ id: string; category: string }[]> {
  const { results } = await db.$client
    .prepare('SELECT id, category FROM events WHERE id IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(ids))
    .all<{ id: string; category: string }>();
  return results;
}
