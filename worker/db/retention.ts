/**
 * Retention's statements (worker/retention.ts runs them from the cron trigger): expired events
 * and everything keyed by them, deleted in bounded D1 transactions. Raw D1 throughout: the ids
 * travel as one JSON parameter (json_each), and a table of a later migration may be missing.
 */
import { mergePagesFor, mergeSearchIndex } from './archive.ts';
import type { Db } from './client.ts';

/** Events per delete transaction (ids travel as one JSON parameter: D1's 100-parameter limit is never near). */
export const RETENTION_BATCH_ROWS = 500;
/** Most delete transactions per run (so at most 10 000 events per run, 960 000 a day at one run per 15 minutes). */
export const RETENTION_MAX_BATCHES = 20;
/** A run starts no new transaction after this long. */
export const RETENTION_BUDGET_MS = 20_000;

const DAY_MS = 86_400_000;

export type RetentionOptions = {
  /** The run's clock (the cron's scheduledTime), ms since epoch. */
  now: number;
  retentionDays: number;
  batchRows?: number;
  maxBatches?: number;
  budgetMs?: number;
};

export type RetentionReport = {
  retentionDays: number;
  cutoff: string;
  /** Rows removed from `events`: live events and tombstones. */
  events: number;
  tombstones: number;
  byCategory: Record<string, number>;
  history: number;
  outbox: number;
  readState: number;
  batches: number;
  /** True when the run stopped at its bound with expired rows left: the next run continues. */
  more: boolean;
  durationMs: number;
};

/** Expired: received before the cutoff, and (for a tombstone) deleted before it too. ?1 = cutoff. */
const EXPIRED = 'received_at < ?1 AND (deleted = 0 OR updated_at < ?1)';
const SELECT_EXPIRED = `SELECT id FROM events WHERE ${EXPIRED} ORDER BY received_at, id LIMIT ?2`;
/** The condition is checked again: a row changed since it was selected (e.g. just deleted) stays. */
const DELETE_EVENTS = `DELETE FROM events WHERE id IN (SELECT value FROM json_each(?2)) AND ${EXPIRED} RETURNING category, deleted`;

/** Rows keyed by event id that go with their event; removed only once the event row is gone. */
const RELATED: { table: string; key: keyof Pick<RetentionReport, 'history' | 'outbox' | 'readState'> }[] = [
  { table: 'event_history', key: 'history' },
  { table: 'outbox', key: 'outbox' },
  { table: 'read_state', key: 'readState' },
];
const deleteRelated = (table: string) =>
  `DELETE FROM ${table} WHERE event_id IN (SELECT value FROM json_each(?1)) AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = ${table}.event_id)`;

/** Deletes expired events (and what belongs to them) in bounded transactions; returns what went. */
export async function purgeExpired(db: Db, options: RetentionOptions): Promise<RetentionReport> {
  const d1 = db.$client;
  const {
    now,
    retentionDays,
    batchRows = RETENTION_BATCH_ROWS,
    maxBatches = RETENTION_MAX_BATCHES,
    budgetMs = RETENTION_BUDGET_MS,
  } = options;
  const started = Date.now();
  const cutoff = now - retentionDays * DAY_MS;
  const report: RetentionReport = {
    retentionDays,
    cutoff: new Date(cutoff).toISOString(),
    events: 0,
    tombstones: 0,
    byCategory: {},
    history: 0,
    outbox: 0,
    readState: 0,
    batches: 0,
    more: false,
    durationMs: 0,
  };
  // Tables of later migrations may be missing in an older database: only touch those that exist.
  const { results: tables } = await d1
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${RELATED.map((r) => `'${r.table}'`).join(', ')})`,
    )
    .all<{ name: string }>();
  const related = RELATED.filter((r) => tables.some((t) => t.name === r.table));
  const deleteEvents = d1.prepare(DELETE_EVENTS);
  const relatedStatements = related.map((r) => ({ ...r, statement: d1.prepare(deleteRelated(r.table)) }));

  for (;;) {
    if (report.batches >= maxBatches || Date.now() - started >= budgetMs) {
      report.more = (await d1.prepare(SELECT_EXPIRED).bind(cutoff, 1).all()).results.length > 0;
      break;
    }
    const { results: candidates } = await d1.prepare(SELECT_EXPIRED).bind(cutoff, batchRows).all<{ id: string }>();
    if (candidates.length === 0) break;
    const ids = JSON.stringify(candidates.map((c) => c.id));
    // One D1 batch = one transaction: an event and everything keyed by it go together or not at all.
    const [removed, ...others] = await d1.batch<{ category: string; deleted: number }>([
      deleteEvents.bind(cutoff, ids),
      ...relatedStatements.map((r) => r.statement.bind(ids)),
    ]);
    report.batches++;
    // The deletes left markers in the full-text index (worker/db/archive.ts).
    await mergeSearchIndex(db, mergePagesFor(removed?.results.length ?? 0));
    for (const row of removed?.results ?? []) {
      report.events++;
      if (row.deleted) report.tombstones++;
      report.byCategory[row.category] = (report.byCategory[row.category] ?? 0) + 1;
    }
    relatedStatements.forEach((r, i) => {
      report[r.key] += others[i]?.meta.changes ?? 0;
    });
    if (candidates.length < batchRows) break;
  }
  report.durationMs = Date.now() - started;
  return report;
}
