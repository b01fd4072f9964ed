import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../worker/index.ts';
import { createDb } from '../../worker/db/client.ts';
import { purgeExpired } from '../../worker/db/retention.ts';
import { uid } from './helpers.ts';

const DAY_MS = 86_400_000;
/** The bindings without the R2 archive: the cron's retention path (with it, the archive move runs: archive.test.ts). */
const withoutArchive = { ...env, ARCHIVE: undefined } as unknown as Env;

/** Inserts an event row as the room would have stored it, with chosen times (ms since epoch). */
async function insertEvent(opts: {
  id: string;
  category?: string;
  receivedAt: number;
  updatedAt?: number;
  deleted?: boolean;
}): Promise<void> {
  const category = opts.category ?? 'System';
  const seq = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
  const doc = JSON.stringify({ id: opts.id, category, eventType: 'RetentionProbe', title: `probe ${opts.id}` });
  await env.DB.prepare(
    `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, description, event_time, received_at, updated_at, deleted, doc)
     VALUES (?1, ?2, ?3, 'Low', 'Low', 'New', 'RetentionProbe', ?4, NULL, ?5, ?5, ?6, ?7, ?8)`,
  )
    .bind(
      opts.id,
      category,
      seq,
      `probe ${opts.id}`,
      opts.receivedAt,
      opts.updatedAt ?? opts.receivedAt,
      opts.deleted ? 1 : 0,
      doc,
    )
    .run();
}

async function insertRelated(id: string, at: number): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO event_history (event_id, seq, at, actor, action) VALUES (?1, 1, ?2, 'tester', 'acknowledge')`,
    ).bind(id, at),
    env.DB.prepare(
      `INSERT INTO outbox (event_id, topic, created_at, published_at) VALUES (?1, 'port-events', ?2, ?2)`,
    ).bind(id, at),
    env.DB.prepare(`INSERT INTO read_state (user_sub, event_id, read_at) VALUES ('tester', ?1, ?2)`).bind(id, at),
  ]);
}

async function present(ids: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    'SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id',
  )
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

async function relatedCount(table: string, ids: string[]): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT COUNT(*) AS n FROM ${table} WHERE event_id IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(ids))
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe('worker > retention (scheduled)', () => {
  it('deletes events received before RETENTION_DAYS with their history, outbox and read state, and keeps newer ones', async () => {
    const now = Date.now();
    const old = [uid('old'), uid('old')];
    const fresh = [uid('new'), uid('new')];
    await insertEvent({ id: old[0]!, category: 'Ship', receivedAt: now - 40 * DAY_MS });
    await insertEvent({ id: old[1]!, category: 'Container', receivedAt: now - 31 * DAY_MS });
    await insertEvent({ id: fresh[0]!, category: 'Ship', receivedAt: now - 29 * DAY_MS });
    await insertEvent({ id: fresh[1]!, category: 'Container', receivedAt: now - 60_000 });
    for (const id of [...old, ...fresh]) await insertRelated(id, now - 31 * DAY_MS);

    // The default export's cron handler, as the runtime calls it (it awaits the run: no waitUntil).
    // Without the ARCHIVE bucket (a deployment that has not bound one) the cron runs retention.
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: '*/15 * * * *' }), withoutArchive);

    expect(await present([...old, ...fresh])).toEqual([...fresh].sort());
    for (const table of ['event_history', 'outbox', 'read_state']) {
      expect(await relatedCount(table, old)).toBe(0);
      expect(await relatedCount(table, fresh)).toBe(2);
    }
  });

  it('drops a tombstone once its delete is older than the retention, not before', async () => {
    const now = Date.now();
    const agedTombstone = uid('tomb');
    const recentTombstone = uid('tomb');
    await insertEvent({
      id: agedTombstone,
      receivedAt: now - 50 * DAY_MS,
      updatedAt: now - 35 * DAY_MS,
      deleted: true,
    });
    // Received long ago but deleted yesterday: clients resuming within the window must still see the delete.
    await insertEvent({ id: recentTombstone, receivedAt: now - 50 * DAY_MS, updatedAt: now - DAY_MS, deleted: true });

    const report = await purgeExpired(createDb(env.DB), { now, retentionDays: 30 });

    expect(await present([agedTombstone, recentTombstone])).toEqual([recentTombstone]);
    expect(report.tombstones).toBeGreaterThanOrEqual(1);
  });

  it('works in bounded batches: stops at maxBatches, reports more, and the next run finishes', async () => {
    const now = Date.now();
    const ids = Array.from({ length: 25 }, () => uid('bulk'));
    await env.DB.batch(
      ids.map((id, i) =>
        env.DB.prepare(
          `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, event_time, received_at, updated_at, doc)
           VALUES (?1, 'Port', ?2, 'Low', 'Low', 'New', 'RetentionProbe', 'bulk', ?3, ?3, ?3, '{}')`,
        ).bind(id, 2_000_000_000 + Math.floor(Math.random() * 1_000_000_000), now - 90 * DAY_MS - i),
      ),
    );

    const first = await purgeExpired(createDb(env.DB), { now, retentionDays: 60, batchRows: 10, maxBatches: 2 });
    expect(first).toMatchObject({ batches: 2, more: true, retentionDays: 60 });
    expect(first.events).toBe(20);
    expect(await present(ids)).toHaveLength(5);

    const second = await purgeExpired(createDb(env.DB), { now, retentionDays: 60, batchRows: 10, maxBatches: 2 });
    expect(second.more).toBe(false);
    expect(second.events).toBe(5);
    expect(second.byCategory).toEqual({ Port: 5 });
    expect(await present(ids)).toEqual([]);
  });

  it('keeps the stats counters in step: expired live events leave the counts', async () => {
    const now = Date.now();
    const id = uid('count');
    const count = async () =>
      (
        await env.DB.prepare(
          `SELECT COALESCE(SUM(n), 0) AS n FROM event_counts WHERE category = 'Berth' AND severity = 'Low' AND status = 'New'`,
        ).first<{ n: number }>()
      )?.n ?? -1;
    const before = await count();
    await insertEvent({ id, category: 'Berth', receivedAt: now - 45 * DAY_MS });
    expect(await count()).toBe(before + 1);

    await purgeExpired(createDb(env.DB), { now, retentionDays: 30 });

    expect(await present([id])).toEqual([]);
    expect(await count()).toBe(before);
  });
});
