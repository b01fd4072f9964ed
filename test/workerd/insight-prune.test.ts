/**
 * The cron deletes open-event counts that count nothing any more (insight_open and
 * insight_open_day rows whose events were all settled), keeps the rest, and a later change in a
 * pruned hour or day counts again from zero: after any prune the tables equal a count of events.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../worker/index.ts';
import { uid } from './helpers.ts';

const H = 3_600_000;
const withoutArchive = { ...env, ARCHIVE: undefined } as unknown as Env;
const OPEN = "('New', 'Acknowledged', 'InProgress')";

async function insert(id: string, receivedAt: number): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, event_time, received_at, updated_at, doc)
     VALUES (?1, 'Berth', (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE category = 'Berth'), 'High', 'High', 'New',
       'PruneCheck', 't', ?2, ?2, ?2, '{}')`,
  )
    .bind(id, receivedAt)
    .run();
}

const setStatus = (id: string, status: string) =>
  env.DB.prepare('UPDATE events SET status = ?2 WHERE id = ?1').bind(id, status).run();

/** Rows of both tables for Berth/High, and the same counted from events (rows with a count only). */
async function tables() {
  const q = async (sql: string) => (await env.DB.prepare(sql).all()).results;
  return {
    hours: await q(
      `SELECT hour, new_n, open_n FROM insight_open WHERE category = 'Berth' AND severity = 'High' ORDER BY hour`,
    ),
    days: await q(
      `SELECT day, new_n, open_n FROM insight_open_day WHERE category = 'Berth' AND severity = 'High' ORDER BY day`,
    ),
    wantHours: await q(
      `SELECT received_at / ${H} AS hour, SUM(status = 'New') AS new_n, COUNT(*) AS open_n FROM events
       WHERE category = 'Berth' AND severity = 'High' AND status IN ${OPEN} AND deleted = 0 GROUP BY 1 ORDER BY 1`,
    ),
    wantDays: await q(
      `SELECT received_at / ${24 * H} AS day, SUM(status = 'New') AS new_n, COUNT(*) AS open_n FROM events
       WHERE category = 'Berth' AND severity = 'High' AND status IN ${OPEN} AND deleted = 0 GROUP BY 1 ORDER BY 1`,
    ),
  };
}

const cron = (now: number) =>
  worker.scheduled(createScheduledController({ scheduledTime: now, cron: '*/15 * * * *' }), withoutArchive);

describe('insight > pruning of empty open counts by the cron', () => {
  it('deletes the rows of settled hours and days, keeps counting ones, and counts a reopened event again', async () => {
    const now = Date.now();
    const settledAt = Math.floor((now - 3 * 24 * H) / H) * H + 10 * 60_000; // three days ago: its own hour and day
    const settled = [uid('ps'), uid('ps'), uid('ps')];
    const open = uid('po');
    for (const id of settled) await insert(id, settledAt);
    await insert(open, now - 60_000);
    await setStatus(settled[0]!, 'Acknowledged');
    for (const id of settled) await setStatus(id, 'Closed');

    const before = await tables();
    expect(before.hours).toContainEqual({ hour: Math.floor(settledAt / H), new_n: 0, open_n: 0 });
    await cron(now);
    const after = await tables();
    // Only rows with a count are left, and they are exactly the counts of the events.
    expect(after.hours).toEqual(after.wantHours);
    expect(after.days).toEqual(after.wantDays);
    expect(after.hours).toContainEqual({ hour: Math.floor((now - 60_000) / H), new_n: 1, open_n: 1 });
    expect(after.hours.some((r) => r.hour === Math.floor(settledAt / H))).toBe(false);

    // A pruned hour and day count again from zero when one of its events reopens.
    await setStatus(settled[1]!, 'InProgress');
    const reopened = await tables();
    expect(reopened.hours).toEqual(reopened.wantHours);
    expect(reopened.days).toEqual(reopened.wantDays);
    expect(reopened.hours).toContainEqual({ hour: Math.floor(settledAt / H), new_n: 0, open_n: 1 });
    // And leaves again when it settles and the cron runs.
    await setStatus(settled[1]!, 'Resolved');
    await cron(now);
    const last = await tables();
    expect(last.hours).toEqual(last.wantHours);
    expect(last.days).toEqual(last.wantDays);
  });
});
