/**
 * The transactional outbox (migrations): API-made events waiting to be published to Kafka. The
 * rows are written by the room in the same D1 transaction as the events themselves
 * (events.ts, insertNewEvents); the bridge reads them here and acknowledges them.
 */
import type { Db } from './client.ts';

/** A pending outbox row with its event as stored now (with its current seq). */
export type PendingOutboxRow = { id: string; topic: string; createdAt: number; event: Record<string, unknown> };

const PENDING_SQL = `SELECT o.event_id AS id, o.topic AS topic, o.created_at AS createdAt, e.seq AS seq, e.doc AS doc
FROM outbox o JOIN events e ON e.id = o.event_id
WHERE o.published_at IS NULL
ORDER BY o.created_at, e.seq
LIMIT ?1`;

/** Pending outbox rows with their events, oldest first. Raw D1: the event is the stored JSON document. */
export async function pendingOutbox(db: Db, limit: number): Promise<PendingOutboxRow[]> {
  const { results } = await db.$client
    .prepare(PENDING_SQL)
    .bind(limit)
    .all<{ id: string; topic: string; createdAt: number; seq: number; doc: string }>();
  return results.map((r) => ({
    id: r.id,
    topic: r.topic,
    createdAt: r.createdAt,
    event: { ...(JSON.parse(r.doc) as Record<string, unknown>), seq: r.seq },
  }));
}

/** Marks rows published (once: a second ack of the same id changes nothing). Returns how many moved. */
export async function ackOutbox(db: Db, ids: string[], at: number): Promise<number> {
  // The ids travel as one JSON parameter: D1 allows at most 100 bound parameters per statement.
  const result = await db.$client
    .prepare(
      'UPDATE outbox SET published_at = ?2 WHERE published_at IS NULL AND event_id IN (SELECT value FROM json_each(?1))',
    )
    .bind(JSON.stringify(ids), at)
    .run();
  return result.meta.changes ?? 0;
}
