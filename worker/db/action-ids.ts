/**
 * Workflow actions applied once per action id (migration 0018, docs/mobile.md). `reserve` claims
 * the id for this user before the action runs: `fresh` means go ahead; `done` carries the first
 * answer to repeat (a retry or replay changes nothing); `busy` means the first attempt is still
 * in flight. `finish` stores the answer; `release` frees the id after a failure so a retry can
 * apply it. The primary key (user_sub, action_id) makes the claim atomic in D1.
 */
import type { Db } from './client.ts';

export type Reservation =
  | { kind: 'fresh' }
  | { kind: 'done'; status: number; response: unknown; eventId: string; action: string }
  | { kind: 'busy' };

export async function reserveAction(
  db: Db,
  user: string,
  actionId: string,
  eventId: string,
  action: string,
  at = Date.now(),
): Promise<Reservation> {
  const d1 = db.$client;
  const claimed = await d1
    .prepare(
      'INSERT INTO action_ids (action_id, user_sub, event_id, action, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING',
    )
    .bind(actionId, user, eventId, action, at)
    .run();
  if (claimed.meta.changes === 1) return { kind: 'fresh' };
  const row = await d1
    .prepare('SELECT event_id, action, status, response FROM action_ids WHERE user_sub = ?1 AND action_id = ?2')
    .bind(user, actionId)
    .first<{ event_id: string; action: string; status: number | null; response: string | null }>();
  if (!row) return reserveAction(db, user, actionId, eventId, action, at); // released meanwhile
  if (row.status === null || row.response === null) return { kind: 'busy' };
  return {
    kind: 'done',
    status: row.status,
    response: JSON.parse(row.response),
    eventId: row.event_id,
    action: row.action,
  };
}

export async function finishAction(
  db: Db,
  user: string,
  actionId: string,
  status: number,
  response: unknown,
): Promise<void> {
  await db.$client
    .prepare('UPDATE action_ids SET status = ?3, response = ?4 WHERE user_sub = ?1 AND action_id = ?2')
    .bind(user, actionId, status, JSON.stringify(response))
    .run();
}

export async function releaseAction(db: Db, user: string, actionId: string): Promise<void> {
  await db.$client
    .prepare('DELETE FROM action_ids WHERE user_sub = ?1 AND action_id = ?2 AND response IS NULL')
    .bind(user, actionId)
    .run();
}
