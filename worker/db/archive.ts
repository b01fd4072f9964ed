/**
 * The archive's statements (worker/archive/ runs them; migrations/0008_archive.sql has the tables):
 * what a move reads from `events`, its intent, its one commit transaction, the manifest rows and
 * the id index the reads and the ingest consult. Raw D1 throughout: ids and hashes travel as one
 * JSON parameter (json_each), since D1 binds at most 100 parameters and a move has thousands.
 */
import type { Category, Severity, Status } from '../../protocol/enums.ts';
import type { HistoryEntry } from '../../protocol/history.ts';
import type { Db } from './client.ts';
import { idHash } from './id-hash.ts';

/** A row of `events` as a move reads it. */
export type MoveRow = {
  id: string;
  seq: number;
  category: Category;
  severity: Severity;
  status: Status;
  requires_action: number;
  deleted: number;
  doc: string;
  received_at: number;
  updated_at: number;
  /** 1 while an outbox row of it waits to be published to Kafka. */
  unpublished: number;
};

export type ArchiveObjectRow = {
  object_id: number;
  category: Category;
  object_key: string;
  state: 'pending' | 'committed';
  from_seq: number;
  to_seq: number;
  rows: number;
  bytes: number;
  sha256: string | null;
  min_received: number | null;
  max_received: number | null;
  max_updated: number | null;
  counts: string | null;
  created_at: number;
};

export type ArchiveState = { through_seq: number; manifest_version: number; manifest_written: number };

/** A room's move cursor (all zero before its first move). */
export async function archiveState(db: Db, category: Category): Promise<ArchiveState> {
  const row = await db.$client
    .prepare('SELECT through_seq, manifest_version, manifest_written FROM archive_state WHERE category = ?1')
    .bind(category)
    .first<ArchiveState>();
  return row ?? { through_seq: 0, manifest_version: 0, manifest_written: 0 };
}

/** The highest archived seq of every room that has moved anything. */
export async function archivedThrough(db: Db): Promise<Map<Category, number>> {
  const { results } = await db.$client
    .prepare('SELECT category, through_seq FROM archive_state')
    .all<{ category: Category; through_seq: number }>();
  return new Map(results.map((r) => [r.category, r.through_seq]));
}

const MOVE_COLUMNS = `e.id, e.seq, e.category, e.severity, e.status, e.requires_action, e.deleted, e.doc, e.received_at, e.updated_at,
  EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id AND o.published_at IS NULL) AS unpublished`;

/** The room's rows after `after` in seq order (a move's scan; the caller stops where the hot window starts). */
export async function rowsAfter(db: Db, category: Category, after: number, limit: number): Promise<MoveRow[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${MOVE_COLUMNS} FROM events e WHERE e.category = ?1 AND e.seq > ?2 ORDER BY e.seq LIMIT ?3`)
    .bind(category, after, limit)
    .all<MoveRow>();
  return results;
}

/** The room's rows in `(from, to]` (a redo of a recorded intent). */
export async function rowsInRange(db: Db, category: Category, from: number, to: number): Promise<MoveRow[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${MOVE_COLUMNS} FROM events e WHERE e.category = ?1 AND e.seq > ?2 AND e.seq <= ?3 ORDER BY e.seq`)
    .bind(category, from, to)
    .all<MoveRow>();
  return results;
}

/** The workflow history of the given events, by event id (oldest first). */
export async function historyOf(db: Db, ids: string[]): Promise<Map<string, HistoryEntry[]>> {
  const out = new Map<string, HistoryEntry[]>();
  if (ids.length === 0) return out;
  const { results } = await db.$client
    .prepare(
      `SELECT event_id AS eventId, seq, at, actor, action, from_status AS fromStatus, to_status AS toStatus, note
       FROM event_history WHERE event_id IN (SELECT value FROM json_each(?1)) ORDER BY event_id, seq`,
    )
    .bind(JSON.stringify(ids))
    .all<HistoryEntry>();
  for (const h of results) {
    const list = out.get(h.eventId);
    if (list) list.push(h);
    else out.set(h.eventId, [h]);
  }
  return out;
}

/** The room's pending intent, if a move was interrupted. */
export async function pendingIntent(db: Db, category: Category): Promise<ArchiveObjectRow | null> {
  return db.$client
    .prepare("SELECT * FROM archive_objects WHERE category = ?1 AND state = 'pending' ORDER BY object_id LIMIT 1")
    .bind(category)
    .first<ArchiveObjectRow>();
}

/** Records a move's intent: its range and key, before its object is written. */
export async function recordIntent(
  db: Db,
  intent: { category: Category; key: string; from: number; to: number; now: number },
): Promise<ArchiveObjectRow> {
  const row = await db.$client
    .prepare(
      `INSERT INTO archive_objects (category, object_key, state, from_seq, to_seq, created_at)
       VALUES (?1, ?2, 'pending', ?3, ?4, ?5) RETURNING *`,
    )
    .bind(intent.category, intent.key, intent.from, intent.to, intent.now)
    .first<ArchiveObjectRow>();
  if (!row) throw new Error('archive intent not recorded');
  return row;
}

/** Drops an intent (its rows changed under it: the next run plans the range again). */
export async function dropIntent(db: Db, objectId: number): Promise<void> {
  await db.$client
    .prepare("DELETE FROM archive_objects WHERE object_id = ?1 AND state = 'pending'")
    .bind(objectId)
    .run();
}

export type MoveCommit = {
  category: Category;
  /** The room's cursor after this move. */
  through: number;
  /** The object (absent when the range held only rows that stay hot). */
  object?: {
    id: number;
    rows: number;
    bytes: number;
    sha256: string;
    minReceived: number;
    maxReceived: number;
    maxUpdated: number;
  };
  /** The rows that moved, at the seq the object holds them. */
  moved: { id: string; seq: number }[];
};

/** counts JSON of the live rows among `moved`: [[category, severity, status, requires_action, n], ...]. */
const COUNTS_OF_MOVED = `(SELECT json_group_array(json_array(category, severity, status, requires_action, n)) FROM
  (SELECT e.category, e.severity, e.status, e.requires_action, COUNT(*) AS n FROM events e
   WHERE e.id IN (SELECT json_extract(value, '$[0]') FROM json_each(?1)) AND e.deleted = 0
   GROUP BY e.category, e.severity, e.status, e.requires_action))`;

/**
 * A move's commit, one D1 transaction: the guard (every moved row is still at the seq the object
 * holds, else the CHECK fails and nothing of this happens), the object's manifest row, its ids in
 * the index, the counters, the rows and everything keyed by them out of D1, the room's cursor.
 */
export async function commitMove(db: Db, c: MoveCommit): Promise<void> {
  const d1 = db.$client;
  const pairs = JSON.stringify(c.moved.map((m) => [m.id, m.seq]));
  const ids = JSON.stringify(c.moved.map((m) => m.id));
  const statements: D1PreparedStatement[] = [];
  if (c.object && c.moved.length > 0) {
    const o = c.object;
    const hashes = JSON.stringify(c.moved.map((m) => idHash(m.id)));
    statements.push(
      d1
        .prepare(
          `INSERT INTO archive_guard (ok) SELECT COUNT(*) = ?2 FROM json_each(?1) j
           JOIN events e ON e.id = json_extract(j.value, '$[0]') AND e.seq = json_extract(j.value, '$[1]')`,
        )
        .bind(pairs, c.moved.length),
      d1
        .prepare(
          `UPDATE archive_objects SET state = 'committed', rows = ?2, bytes = ?3, sha256 = ?4, min_received = ?5,
             max_received = ?6, max_updated = ?7, counts = ${COUNTS_OF_MOVED.replace('?1', '?8')}
           WHERE object_id = ?1 AND state = 'pending'`,
        )
        .bind(o.id, o.rows, o.bytes, o.sha256, o.minReceived, o.maxReceived, o.maxUpdated, pairs),
      d1
        .prepare(
          `INSERT INTO archive_counts (category, severity, status, requires_action, n)
           SELECT e.category, e.severity, e.status, e.requires_action, COUNT(*) FROM events e
           WHERE e.id IN (SELECT value FROM json_each(?1)) AND e.deleted = 0
           GROUP BY e.category, e.severity, e.status, e.requires_action
           ON CONFLICT DO UPDATE SET n = n + excluded.n`,
        )
        .bind(ids),
      d1
        .prepare(
          `INSERT INTO archive_ids (h1, h2, object_id) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2
           FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`,
        )
        .bind(hashes, o.id),
      ...['event_history', 'read_state', 'outbox'].map((table) =>
        d1.prepare(`DELETE FROM ${table} WHERE event_id IN (SELECT value FROM json_each(?1))`).bind(ids),
      ),
      d1.prepare('DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))').bind(ids),
    );
  }
  statements.push(
    d1
      .prepare(
        `INSERT INTO archive_state (category, through_seq, manifest_version) VALUES (?1, ?2, ?3)
         ON CONFLICT (category) DO UPDATE SET through_seq = max(through_seq, excluded.through_seq),
           manifest_version = manifest_version + excluded.manifest_version`,
      )
      .bind(c.category, c.through, c.object ? 1 : 0),
  );
  await d1.batch(statements);
}

/**
 * Pages of the full-text index merged after each move (FTS5's incremental 'merge'; a negative
 * count merges across levels). An external-content FTS5 index records a delete as a marker that
 * only a merge removes: with rows leaving at the rate they arrive, the index grew without it while
 * the rows stayed flat (bench/README.md, "Capacity"). A page of merge per ten rows deleted, at
 * most this many (about one row written per ten moved events): in a sliding-window test that kept
 * the index flat (5,000 deletes, 500 pages), where no merge let it grow by half every few windows.
 */
export const FTS_MERGE_PAGES = 500;

/** The merge's pages for `deleted` rows gone from `events`. */
export const mergePagesFor = (deleted: number) => Math.min(FTS_MERGE_PAGES, Math.max(1, Math.ceil(deleted / 10)));

/** One bounded step of the full-text index's merge (after a move or a retention batch). */
export async function mergeSearchIndex(db: Db, pages = FTS_MERGE_PAGES): Promise<void> {
  await db.$client.prepare("INSERT INTO events_fts (events_fts, rank) VALUES ('merge', ?1)").bind(-pages).run();
}

/** The committed objects of a room, in seq order (the manifest). */
export async function committedObjects(db: Db, category: Category): Promise<ArchiveObjectRow[]> {
  const { results } = await db.$client
    .prepare("SELECT * FROM archive_objects WHERE category = ?1 AND state = 'committed' ORDER BY to_seq")
    .bind(category)
    .all<ArchiveObjectRow>();
  return results;
}

/** Notes that R2's manifest of the room now shows `version`. */
export async function manifestWritten(db: Db, category: Category, version: number): Promise<void> {
  await db.$client
    .prepare('UPDATE archive_state SET manifest_written = max(manifest_written, ?2) WHERE category = ?1')
    .bind(category, version)
    .run();
}

/** The committed objects of a room that hold seqs in `(after, upTo]`, in seq order. */
export async function objectsForSeqs(
  db: Db,
  category: Category,
  after: number,
  upTo: number,
  limit: number,
): Promise<ArchiveObjectRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT * FROM archive_objects WHERE category = ?1 AND state = 'committed' AND to_seq > ?2 AND from_seq < ?3
       ORDER BY to_seq LIMIT ?4`,
    )
    .bind(category, after, upTo, limit)
    .all<ArchiveObjectRow>();
  return results;
}

/**
 * The committed objects that may hold events received in `[from, below)` of these categories
 * (undefined = all), newest first by their newest event.
 */
export async function objectsForReceived(
  db: Db,
  opts: { categories?: readonly Category[]; from?: number; below?: number; limit: number },
): Promise<ArchiveObjectRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT * FROM archive_objects WHERE state = 'committed'
         AND (?1 IS NULL OR category IN (SELECT value FROM json_each(?1)))
         AND (?2 IS NULL OR max_received >= ?2) AND (?3 IS NULL OR min_received < ?3)
       ORDER BY max_received DESC, object_id DESC LIMIT ?4`,
    )
    .bind(opts.categories ? JSON.stringify(opts.categories) : null, opts.from ?? null, opts.below ?? null, opts.limit)
    .all<ArchiveObjectRow>();
  return results;
}

/** The committed objects whose id index holds any of `ids` (by hash: the caller checks the lines). */
export async function objectsForIds(db: Db, ids: string[]): Promise<ArchiveObjectRow[]> {
  if (ids.length === 0) return [];
  const { results } = await db.$client
    .prepare(
      `SELECT DISTINCT o.* FROM json_each(?1) j
       JOIN archive_ids a ON a.h1 = json_extract(j.value, '$[0]') AND a.h2 = json_extract(j.value, '$[1]')
       JOIN archive_objects o ON o.object_id = a.object_id AND o.state = 'committed'`,
    )
    .bind(JSON.stringify(ids.map(idHash)))
    .all<ArchiveObjectRow>();
  return results;
}

/** Committed objects whose newest change is older than the cutoff (archive retention), oldest first. */
export async function expiredObjects(db: Db, cutoff: number, limit: number): Promise<ArchiveObjectRow[]> {
  const { results } = await db.$client
    .prepare(
      "SELECT * FROM archive_objects WHERE state = 'committed' AND max_updated < ?1 ORDER BY max_updated LIMIT ?2",
    )
    .bind(cutoff, limit)
    .all<ArchiveObjectRow>();
  return results;
}

/**
 * Starts an expired object's expiry, one transaction: its ids (by their key: the caller read them
 * from the object) and its counts go, its manifest row becomes `expiring` (no reader sees it).
 */
export async function expireObject(db: Db, o: ArchiveObjectRow, ids: string[]): Promise<void> {
  const d1 = db.$client;
  const match = (c: string) =>
    `json_extract(${c}.value, '$[0]') = archive_counts.category AND json_extract(${c}.value, '$[1]') = archive_counts.severity
     AND json_extract(${c}.value, '$[2]') = archive_counts.status AND json_extract(${c}.value, '$[3]') = archive_counts.requires_action`;
  await d1.batch([
    d1
      .prepare(
        `DELETE FROM archive_ids WHERE object_id = ?2 AND (h1, h2) IN
           (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))`,
      )
      .bind(JSON.stringify(ids.map(idHash)), o.object_id),
    d1
      .prepare(
        `UPDATE archive_counts SET n = n - (SELECT json_extract(c.value, '$[4]') FROM json_each(?1) c WHERE ${match('c')})
         WHERE EXISTS (SELECT 1 FROM json_each(?1) c WHERE ${match('c')})`,
      )
      .bind(o.counts ?? '[]'),
    d1
      .prepare("UPDATE archive_objects SET state = 'expiring' WHERE object_id = ?1 AND state = 'committed'")
      .bind(o.object_id),
    d1.prepare('UPDATE archive_state SET manifest_version = manifest_version + 1 WHERE category = ?1').bind(o.category),
  ]);
}

/** Objects whose expiry started (their R2 object may still be there). */
export async function expiringObjects(db: Db, limit: number): Promise<ArchiveObjectRow[]> {
  const { results } = await db.$client
    .prepare("SELECT * FROM archive_objects WHERE state = 'expiring' ORDER BY object_id LIMIT ?1")
    .bind(limit)
    .all<ArchiveObjectRow>();
  return results;
}

/** Ends an expiry: the object is deleted from R2; its manifest row goes. */
export async function forgetObject(db: Db, objectId: number): Promise<void> {
  await db.$client
    .prepare("DELETE FROM archive_objects WHERE object_id = ?1 AND state = 'expiring'")
    .bind(objectId)
    .run();
}

/** The archive's totals: objects, rows and bytes (for stats and the capacity bench). */
export async function archiveTotals(db: Db): Promise<{ objects: number; rows: number; bytes: number }> {
  const row = await db.$client
    .prepare(
      "SELECT COUNT(*) AS objects, COALESCE(SUM(rows), 0) AS rows, COALESCE(SUM(bytes), 0) AS bytes FROM archive_objects WHERE state = 'committed'",
    )
    .first<{ objects: number; rows: number; bytes: number }>();
  return row ?? { objects: 0, rows: 0, bytes: 0 };
}
