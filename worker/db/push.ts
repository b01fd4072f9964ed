/**
 * Web Push subscriptions' SQL (docs/push.md; migrations/0017_push_subscriptions.sql): save one
 * (a user keeps at most MAX_SUBSCRIPTIONS_PER_USER, the oldest replaced), delete one of one's own,
 * find the subscriptions a notification's recipients reach (`user:<sub>`, and `role:<r>` = that
 * role and the roles above it, as the inbox reads it: worker/db/rules.ts, recipientsOf), and keep
 * the outcome of a send (404/410 deletes the row).
 */
import { ROLES, type Role } from '../../protocol/roles.ts';
import type { Db } from './client.ts';

/** Subscriptions one user keeps (browsers and devices); a new one past this replaces the oldest. */
export const MAX_SUBSCRIPTIONS_PER_USER = 10;
/** Most subscriptions one send reads (a role's audience at a port: tens to hundreds). */
export const MAX_TARGETS = 1000;

export type PushTarget = { endpoint: string; userSub: string; role: Role; p256dh: string; auth: string };

/**
 * Saves a subscription for this user (a browser's endpoint is unique: one that was someone
 * else's — another sign-in on the same browser — becomes this user's). Returns how many older
 * subscriptions of the user were dropped to keep the cap.
 */
export async function savePushSubscription(
  db: Db,
  s: { endpoint: string; userSub: string; role: Role; p256dh: string; auth: string; now: number },
): Promise<number> {
  const d1 = db.$client;
  const [, dropped] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO push_subscriptions (endpoint, user_sub, role, p256dh, auth, created_at, failures)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
         ON CONFLICT (endpoint) DO UPDATE SET user_sub = ?2, role = ?3, p256dh = ?4, auth = ?5, created_at = ?6, failures = 0`,
      )
      .bind(s.endpoint, s.userSub, s.role, s.p256dh, s.auth, s.now),
    d1
      .prepare(
        `DELETE FROM push_subscriptions WHERE user_sub = ?1 AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE user_sub = ?1 ORDER BY created_at DESC, endpoint LIMIT ?2)`,
      )
      .bind(s.userSub, MAX_SUBSCRIPTIONS_PER_USER),
  ]);
  return dropped?.meta.changes ?? 0;
}

/** Deletes the user's subscription at this endpoint; false when the user has none there. */
export async function deletePushSubscription(db: Db, userSub: string, endpoint: string): Promise<boolean> {
  const r = await db.$client
    .prepare('DELETE FROM push_subscriptions WHERE user_sub = ?1 AND endpoint = ?2')
    .bind(userSub, endpoint)
    .run();
  return r.meta.changes > 0;
}

/** How many subscriptions this user has. */
export async function countPushSubscriptions(db: Db, userSub: string): Promise<number> {
  const r = await db.$client
    .prepare('SELECT COUNT(*) AS n FROM push_subscriptions WHERE user_sub = ?1')
    .bind(userSub)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

/**
 * The subscriptions these recipients reach, each with the recipients of the list it answers to
 * (`user:<its sub>` and `role:<r>` for r at or below its role).
 */
export async function pushTargets(db: Db, recipients: readonly string[]): Promise<PushTarget[]> {
  const subs = new Set<string>();
  const roles = new Set<Role>();
  for (const r of recipients) {
    if (r.startsWith('user:')) subs.add(r.slice(5));
    else if (r.startsWith('role:')) {
      const at = ROLES.indexOf(r.slice(5) as Role);
      // role:<r> is read by r and every role above it
      if (at >= 0) for (const above of ROLES.slice(at)) roles.add(above);
    }
  }
  if (subs.size === 0 && roles.size === 0) return [];
  const { results } = await db.$client
    .prepare(
      `SELECT endpoint, user_sub, role, p256dh, auth FROM push_subscriptions
       WHERE user_sub IN (SELECT value FROM json_each(?1)) OR role IN (SELECT value FROM json_each(?2))
       ORDER BY endpoint LIMIT ?3`,
    )
    .bind(JSON.stringify([...subs]), JSON.stringify([...roles]), MAX_TARGETS)
    .all<{ endpoint: string; user_sub: string; role: Role; p256dh: string; auth: string }>();
  return results.map((r) => ({
    endpoint: r.endpoint,
    userSub: r.user_sub,
    role: r.role,
    p256dh: r.p256dh,
    auth: r.auth,
  }));
}

/** What became of the sends: delivered (201/202…), gone (404/410: deleted), or failed (kept, counted). */
export type PushOutcome = { endpoint: string; result: 'delivered' | 'gone' | 'failed' };

/** Records the sends' outcomes in one batch. */
export async function recordPushOutcomes(db: Db, outcomes: readonly PushOutcome[], now: number): Promise<void> {
  if (outcomes.length === 0) return;
  const d1 = db.$client;
  const by = (result: PushOutcome['result']) =>
    JSON.stringify(outcomes.filter((o) => o.result === result).map((o) => o.endpoint));
  await d1.batch([
    d1
      .prepare(
        'UPDATE push_subscriptions SET last_success_at = ?2, failures = 0 WHERE endpoint IN (SELECT value FROM json_each(?1))',
      )
      .bind(by('delivered'), now),
    d1.prepare('DELETE FROM push_subscriptions WHERE endpoint IN (SELECT value FROM json_each(?1))').bind(by('gone')),
    d1
      .prepare(
        'UPDATE push_subscriptions SET failures = failures + 1 WHERE endpoint IN (SELECT value FROM json_each(?1))',
      )
      .bind(by('failed')),
  ]);
}
