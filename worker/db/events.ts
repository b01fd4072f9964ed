/** Query functions over the `events` table. Each takes the drizzle handle first. */
import { and, asc, eq, gt, inArray, lte, max, sql } from 'drizzle-orm';
import type { Category, Severity } from '../../protocol/enums.ts';
import type { Change, NewEvent, QuaycastEvent } from '../../protocol/event.ts';
import type { Db } from './client.ts';
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
};

/**
 * Rows per INSERT statement and bytes of JSON per statement. The rows travel as one JSON
 * parameter expanded by json_each(), so D1's 100-bound-parameter limit is never near; the
 * byte bound keeps each statement's parameter well under D1's per-value size limit.
 */
export const INSERT_CHUNK_ROWS = 200;
export const INSERT_CHUNK_BYTES = 512 * 1024;

export function toInsertRow(event: NewEvent, seq: number): InsertRow {
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
  };
}

/** Splits rows into statement-sized chunks (by count and by serialized size). */
export function chunkRows<T>(rows: T[], sizeOf: (row: T) => number, maxRows = INSERT_CHUNK_ROWS, maxBytes = INSERT_CHUNK_BYTES): T[][] {
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
  ['id', 'id'], ['category', 'category'], ['seq', 'seq'], ['severity', 'severity'], ['priority', 'priority'],
  ['status', 'status'], ['event_type', 'eventType'], ['title', 'title'], ['description', 'description'],
  ['event_time', 'eventTime'], ['received_at', 'receivedAt'], ['updated_at', 'updatedAt'],
  ['container_id', 'containerId'], ['ship_id', 'shipId'], ['berth_id', 'berthId'], ['port_id', 'portId'],
  ['requires_action', 'requiresAction'], ['is_resolved', 'isResolved'], ['assigned_to', 'assignedTo'], ['doc', 'doc'],
];

/**
 * One statement inserting many rows from a single JSON parameter (json_each), skipping ids that
 * exist; RETURNING yields only the rows that are new — exactly the ones to push.
 */
const INSERT_SQL = `INSERT INTO events (${INSERT_COLUMNS.map(([c]) => c).join(', ')})
SELECT ${INSERT_COLUMNS.map(([, k]) => `json_extract(value, '$.${k}')`).join(', ')}
FROM json_each(?1) WHERE true
ON CONFLICT (id) DO NOTHING
RETURNING id, seq`;

/**
 * Inserts rows that are new by `id` and returns the ones that were (id → seq). All chunks run
 * in one D1 batch, which D1 executes as one transaction: the batch is stored whole or not at all.
 * (Raw D1 here: drizzle's batch does not take raw statements with RETURNING.)
 */
export async function insertNewEvents(db: Db, rows: InsertRow[]): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  if (rows.length === 0) return inserted;
  const d1 = db.$client;
  const statement = d1.prepare(INSERT_SQL);
  const chunks = chunkRows(rows, (r) => r.doc.length + 256);
  const results = await d1.batch<{ id: string; seq: number }>(chunks.map((chunk) => statement.bind(JSON.stringify(chunk))));
  for (const result of results) for (const row of result.results) inserted.set(row.id, row.seq);
  return inserted;
}

/** The highest seq stored for a room (0 when empty). */
export async function maxSeq(db: Db, category: Category): Promise<number> {
  const [row] = await db.select({ value: max(events.seq) }).from(events).where(eq(events.category, category));
  return row?.value ?? 0;
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
